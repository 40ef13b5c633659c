using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConsentKit.AspNetCore;

/// <summary>What asking for erasure returns: what will happen, and the token that confirms it.</summary>
public sealed record ConsentErasureChallenge
{
    /// <summary>Send it back to <c>…/erasure/confirm</c> to erase; it works once the caller confirms, for the caller only.</summary>
    public required string ConfirmationToken { get; init; }

    /// <summary>When the token stops working.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>What erasure does, in words to show the person before they confirm.</summary>
    public required string Consequences { get; init; }
}

/// <summary>What confirming erasure did.</summary>
public sealed record ConsentErasureResponse
{
    /// <summary>Whether there was anything to erase.</summary>
    public required bool Erased { get; init; }

    /// <summary>The withdrawals recorded on the way (one per purpose that was on).</summary>
    public required IReadOnlyList<ConsentRecordResponse> Withdrawals { get; init; }
}

/// <summary>Erasure for the signed-in person, in two steps: ask (get a short-lived token), then confirm with it.</summary>
internal static class ConsentErasureApi
{
    public const string Consequences =
        "Every purpose you turned on is withdrawn now. Then the link between your account and your consent history is destroyed: " +
        "the records stay (they prove that someone consented under each notice, and training sets that used your data stay traceable), " +
        "but nothing leads from them to you any more, and any details stored with them can no longer be read. This cannot be undone.";

    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    public static async Task<IResult> RequestAsync(HttpContext context)
    {
        var (subject, callerError) = await ConsentApi.CallerAsync(context);
        if (callerError is not null)
        {
            return callerError;
        }

        // The expiry travels inside the protected payload and is checked against the app's TimeProvider.
        var expires = Now(context).Add(Lifetime);
        var token = Protector(context).Protect(expires.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n" + subject);
        return Results.Json(new ConsentErasureChallenge { ConfirmationToken = token, ExpiresAt = expires, Consequences = Consequences }, JsonSerializerOptions.Web, statusCode: StatusCodes.Status202Accepted);
    }

    public static async Task<IResult> ConfirmAsync(HttpContext context)
    {
        var (subject, callerError) = await ConsentApi.CallerAsync(context);
        if (callerError is not null)
        {
            return callerError;
        }

        var options = context.RequestServices.GetRequiredService<IOptions<ConsentKitHttpOptions>>().Value;
        var body = await ConsentApi.ReadBodyAsync(context, options);
        if (body.Error is not null)
        {
            return body.Error;
        }

        string? token;
        if (body.Form is { } form)
        {
            token = form["confirmationToken"].FirstOrDefault();
        }
        else
        {
            try
            {
                token = JsonSerializer.Deserialize<ConfirmRequest>(body.Json.Span, JsonSerializerOptions.Web)?.ConfirmationToken;
            }
            catch (JsonException)
            {
                return ConsentApi.Problem(StatusCodes.Status400BadRequest, "Malformed request", "The body is not valid JSON of the expected shape.");
            }
        }

        if (string.IsNullOrWhiteSpace(token))
        {
            return ConsentApi.Problem(StatusCodes.Status400BadRequest, "Confirmation missing", "Send the confirmationToken from …/erasure.", ("field", "confirmationToken"));
        }

        string? confirmedSubject = null;
        try
        {
            var payload = Protector(context).Unprotect(token);
            var newline = payload.IndexOf('\n', StringComparison.Ordinal);
            if (newline > 0
                && long.TryParse(payload.AsSpan(0, newline), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var expiresTicks)
                && Now(context).UtcTicks < expiresTicks)
            {
                confirmedSubject = payload[(newline + 1)..];
            }
        }
        catch (CryptographicException)
        {
            // Not one of ours, or tampered with: treated like an expired token.
        }

        if (!string.Equals(confirmedSubject, subject, StringComparison.Ordinal))
        {
            return ConsentApi.Problem(
                StatusCodes.Status400BadRequest,
                "Confirmation not valid",
                "The confirmation token is expired, malformed or not yours; nothing was erased. Ask again.",
                ("field", "confirmationToken"));
        }

        try
        {
            var recorder = context.RequestServices.GetRequiredService<IConsentRecorder>();
            var source = body.Form is not null ? "settings-page" : "consent-api";
            var result = await recorder.EraseSubjectAsync(subject, new ConsentEvidence { Method = body.Method, Source = source }, context.RequestAborted);
            return Results.Ok(new ConsentErasureResponse { Erased = result.Erased, Withdrawals = [.. result.Withdrawals.Select(r => ConsentRecordResponse.From(r))] });
        }
        catch (ConsentStoreException)
        {
            return ConsentApi.Problem(StatusCodes.Status503ServiceUnavailable, "Consent store unavailable", "Nothing was erased; please try again.");
        }
    }

    private static IDataProtector Protector(HttpContext context) =>
        context.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector("ConsentKit.Erasure.v1");

    private static DateTimeOffset Now(HttpContext context) =>
        (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();

    private sealed record ConfirmRequest(string? ConfirmationToken);
}
