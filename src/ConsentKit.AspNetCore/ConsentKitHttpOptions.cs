using System.Security.Claims;

namespace ConsentKit.AspNetCore;

/// <summary>Options for everything ConsentKit does over HTTP: enforcement, the consent API and privacy signals.</summary>
public sealed class ConsentKitHttpOptions
{
    /// <summary>Claims that name the caller, tried in order. Default: <c>sub</c>, then <see cref="ClaimTypes.NameIdentifier"/>.</summary>
    public IList<string> SubjectClaimTypes { get; } = ["sub", ClaimTypes.NameIdentifier];

    /// <summary>Where a person can give consent (shown in denials to the person themselves), e.g. <c>/settings/privacy</c>.</summary>
    public string? ConsentUrl { get; set; }

    /// <summary>
    /// Purposes for which a Global Privacy Control signal (<c>Sec-GPC: 1</c>) records a refusal where the
    /// person made no choice. Children of a listed purpose are included. Default: <c>ai-training</c> and
    /// <c>third-party-sharing</c>. GPC never grants anything.
    /// </summary>
    public ISet<string> GlobalPrivacyControlPurposes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        ConsentPurposes.AiTraining,
        ConsentPurposes.ThirdPartySharing,
    };

    /// <summary>The <c>lastUpdate</c> date served in <c>/.well-known/gpc.json</c>.</summary>
    public DateOnly GlobalPrivacyControlLastUpdate { get; set; } = new(2026, 11, 1);

    /// <summary>The largest request body the consent API accepts, in bytes. Default 4 KiB.</summary>
    public int MaxRequestBodyBytes { get; set; } = 4 * 1024;
}
