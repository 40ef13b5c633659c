using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.AspNetCore;

/// <summary>The consent decisions made for the current request, so endpoint code can ask again without another store call.</summary>
/// <remarks>
/// Read-only: only the gate decides. A feature of this type that ConsentKit did not put in the request
/// (planted by other code) is ignored and replaced.
/// </remarks>
public interface IConsentDecisionFeature
{
    /// <summary>A decision already made in this request for a subject and purpose.</summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="decision">The decision.</param>
    bool TryGet(string subjectId, string purposeId, out ConsentDecision decision);
}

internal sealed class ConsentDecisionFeature : IConsentDecisionFeature
{
    private readonly Dictionary<(string, string), ConsentDecision> _decisions = [];

    public bool TryGet(string subjectId, string purposeId, out ConsentDecision decision) => _decisions.TryGetValue((subjectId, purposeId), out decision);

    public void Set(string subjectId, string purposeId, ConsentDecision decision) => _decisions[(subjectId, purposeId)] = decision;
}

/// <summary>Consent checks from endpoint code.</summary>
public static class ConsentHttpContextExtensions
{
    /// <summary>
    /// The signed-in caller's subject id, found by the app's <see cref="IConsentSubjectResolver"/> — the
    /// same one the enforcement middleware, the privacy-signal handling and the consent API use — or
    /// <see langword="null"/> for an anonymous caller.
    /// </summary>
    /// <param name="context">The request.</param>
    public static ValueTask<string?> GetConsentSubjectAsync(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.RequestServices.GetRequiredService<IConsentSubjectResolver>().ResolveAsync(context, ConsentSubject.Caller);
    }

    /// <summary>
    /// The gate's decision for <paramref name="subjectId"/> and <paramref name="purposeId"/>, reusing a
    /// decision already made in this request.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="subjectId">The subject.</param>
    /// <param name="purposeId">The purpose.</param>
    public static async ValueTask<ConsentDecision> CheckConsentAsync(this HttpContext context, string subjectId, string purposeId)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Only a feature of ConsentKit's own type is trusted: any other implementation could answer
        // "allowed" for a decision the gate never made.
        if (context.Features.Get<IConsentDecisionFeature>() is not ConsentDecisionFeature feature)
        {
            feature = new ConsentDecisionFeature();
            context.Features.Set<IConsentDecisionFeature>(feature);
        }

        if (feature.TryGet(subjectId, purposeId, out var decision))
        {
            return decision;
        }

        decision = await context.RequestServices.GetRequiredService<IConsentGate>().CheckAsync(subjectId, purposeId, context.RequestAborted);
        feature.Set(subjectId, purposeId, decision);
        return decision;
    }
}
