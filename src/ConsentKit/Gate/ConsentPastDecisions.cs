using System.Runtime.CompilerServices;

namespace ConsentKit;

/// <summary>
/// The default <see cref="IConsentPastDecisions"/>: the registered purposes with the notice versions of the
/// past instant, decided by <see cref="ConsentDecisionService"/>.
/// </summary>
internal sealed class ConsentPastDecisions(ConsentPurposeCatalog catalog) : IConsentPastDecisions
{
    // One rebuilt set of purposes per notice-version dictionary, for as long as the caller holds it.
    private readonly ConditionalWeakTable<IReadOnlyDictionary<string, string>, ConsentDecisionService> _byVersions = [];

    public ConsentDecision DecideAt(IEnumerable<ConsentRecord> records, string purposeId, DateTimeOffset at, IReadOnlyDictionary<string, string> noticeVersionsAt)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(purposeId);
        ArgumentNullException.ThrowIfNull(noticeVersionsAt);
        var decisions = _byVersions.GetValue(noticeVersionsAt, Rebuild);
        var index = decisions.Catalog.IndexOf(purposeId);
        if (index < 0)
        {
            return ConsentDecision.Deny(purposeId, ConsentDecisionReason.UnknownPurpose);
        }

        return decisions.Decide(decisions.CurrentOf(records.Where(r => r.RecordedAt <= at)), index, at);
    }

    private ConsentDecisionService Rebuild(IReadOnlyDictionary<string, string> versions) =>
        new(new ConsentPurposeCatalog(catalog.Purposes.Select(p =>
            versions.TryGetValue(p.Id, out var version) && !string.Equals(version, p.NoticeVersion, StringComparison.Ordinal)
                ? new ConsentPurpose(p.Id, p.DisplayName, p.Description, version) { Lifetime = p.Lifetime, CoveredByParent = p.CoveredByParent }
                : p)));
}
