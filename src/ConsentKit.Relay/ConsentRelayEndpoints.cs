using ConsentKit;
using ConsentKit.Relay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The relay's operator endpoints: status, dead letters, replay and rewind, as JSON and ProblemDetails.</summary>
public static class ConsentRelayEndpoints
{
    /// <summary>
    /// Maps <c>GET {prefix}</c> (every subscription: position, how far behind, active instance, last error, dead
    /// letters), <c>GET {prefix}/{name}/dead-letters</c>, <c>POST {prefix}/{name}/replay</c> and
    /// <c>POST {prefix}/{name}/rewind?after=N</c>. They are for operators: protect the group, e.g.
    /// <c>.RequireAuthorization("operator")</c>. An unknown subscription is a 404 problem, a bad sequence a 400.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="prefix">Where they go; default <c>/consent-relay</c>.</param>
    public static RouteGroupBuilder MapConsentRelayEndpoints(this IEndpointRouteBuilder endpoints, string prefix = "/consent-relay")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(prefix);
        group.MapGet("/", (IConsentRelay relay, CancellationToken ct) => Guarded(() => relay.GetStatusAsync(ct), status => Results.Ok(status.Select(s => new
        {
            name = s.Name,
            position = s.Position,
            newestSequence = s.NewestSequence,
            behind = s.Behind,
            activeInstance = s.ActiveInstance,
            lastError = s.LastError,
            lastErrorAt = s.LastErrorAt,
            deadLetters = s.DeadLetters,
            replayRequested = s.ReplayRequested,
        }))));
        group.MapGet("/{name}/dead-letters", (string name, IConsentRelay relay, CancellationToken ct) =>
            Guarded(() => relay.GetDeadLettersAsync(name, ct), letters => Results.Ok(letters.Select(l => new
            {
                sequence = l.Sequence,
                error = l.Error,
                attempts = l.Attempts,
                deadLetteredAt = l.DeadLetteredAt,
            }))));
        group.MapPost("/{name}/replay", (string name, IConsentRelay relay, CancellationToken ct) =>
            Guarded(() => relay.ReplayAsync(name, ct), count => Results.Accepted(value: new { replaying = count })));
        group.MapPost("/{name}/rewind", async (string name, long? after, IConsentRelay relay, CancellationToken ct) =>
            after is not { } sequence || sequence < 0
                ? Problem(StatusCodes.Status400BadRequest, "Bad sequence", "Give the sequence to deliver again after as ?after=N, N ≥ 0.")
                : await Guarded(async () => { await relay.RewindAsync(name, sequence, ct); return sequence; }, _ => Results.Accepted(value: new { after = sequence })));
        return group;

        // Run one call, mapping refusals and store faults to problems (never a 500).
        static async Task<IResult> Guarded<T>(Func<ValueTask<T>> call, Func<T, IResult> ok)
        {
            try
            {
                return ok(await call());
            }
            catch (ArgumentException ex)
            {
                // The message without .NET's " (Parameter 'x')" suffix: it is for the operator reading the problem.
                var detail = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message;
                return Problem(StatusCodes.Status404NotFound, "No such subscription", detail);
            }
            catch (ConsentStoreException)
            {
                return Problem(StatusCodes.Status503ServiceUnavailable, "Consent store unavailable", "The relay's state cannot be read right now.");
            }
        }
    }

    private static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);
}
