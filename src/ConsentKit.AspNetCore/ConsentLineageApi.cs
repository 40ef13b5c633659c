using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.AspNetCore;

/// <summary>
/// <c>GET models</c>: the models (and other artifacts) the signed-in person's data went into, how, where each is
/// deployed, and what each owes them once they withdrew (GDPR Art. 15: the recipients and uses of their data).
/// </summary>
internal static class ConsentLineageApi
{
    public static async Task<IResult> ModelsAsync(HttpContext context)
    {
        var (subject, callerError) = await ConsentApi.CallerAsync(context);
        if (callerError is not null)
        {
            return callerError;
        }

        try
        {
            var lineage = context.RequestServices.GetRequiredService<IModelLineage>();
            var holdings = await lineage.FindArtifactsHoldingAsync(subject, context.RequestAborted);
            return Results.Ok(holdings.Select(h => new
            {
                artifactId = h.Artifact.Id,
                kind = h.Artifact.Kind,
                version = h.Artifact.Version,
                builtAt = h.Artifact.BuiltAt,
                path = h.Path,
                deployments = h.Deployments,
                owed = h.Obligation is not { } o ? null : new
                {
                    reason = ConsentVocabulary.NameOf(o.Reason),
                    since = o.Since,
                    what = o.Policy.Owed,
                    deadline = o.Deadline,
                    status = o.Status.ToString().ToLower(CultureInfo.InvariantCulture),
                    resolution = o.Resolution,
                },
            }).ToList());
        }
        catch (ConsentStoreException)
        {
            return ConsentApi.Problem(StatusCodes.Status503ServiceUnavailable, "Consent store unavailable", "The models your data went into cannot be read right now.");
        }
    }
}
