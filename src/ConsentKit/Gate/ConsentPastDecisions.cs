using System.Runtime.CompilerServices;

namespace ConsentKit;

/// <summary>
/// The default <see cref="IConsentPastDecisions"/>: the registered purposes with the notice versions of the
/// past instant, decided by <see cref="ConsentDecisionService"/>.
/// </summary>
/// <remarks>
/// A purpose asked about, or named in the notice versions, that is not registered here (an operator tool
/// that knows only the standard purposes, a purpose retired since) is added with what the store itself
/// says of it: its place in the hierarchy (from its id) and its notice version. Its lifetime and whether a
/// parent covers it are not kept in the store, so such a grant ends only at its recorded expiry and is not
/// covered by a parent's grant.
/// </remarks>
internal sealed class ConsentPastDecisions(ConsentPurposeCatalog catalog) : IConsentPastDecisions
{
    private const string UnknownNotice = "unknown";

    // One rebuilt set of purposes per notice-version dictionary, for as long as the caller holds it.
    private readonly ConditionalWeakTable<IReadOnlyDictionary<string, string>, ConsentDecisionService> _byVersions = [];

    public ConsentDecision DecideAt(IEnumerable<ConsentRecord> records, string purposeId, DateTimeOffset at, IReadOnlyDictionary<string, string> noticeVersionsAt)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(purposeId);
        ArgumentNullException.ThrowIfNull(noticeVersionsAt);
        if (!ConsentPurposeId.IsValid(purposeId))
        {
            return ConsentDecision.Deny(purposeId, ConsentDecisionReason.UnknownPurpose);
        }

        var decisions = _byVersions.GetValue(noticeVersionsAt, versions => Rebuild(versions, purposeId));
        if (decisions.Catalog.IndexOf(purposeId) < 0)
        {
            decisions = Rebuild(noticeVersionsAt, purposeId);
            _byVersions.AddOrUpdate(noticeVersionsAt, decisions);
        }

        return decisions.Decide(decisions.CurrentOf(records.Where(r => r.RecordedAt <= at)), decisions.Catalog.IndexOf(purposeId), at);
    }

    private ConsentDecisionService Rebuild(IReadOnlyDictionary<string, string> versions, string asked)
    {
        var purposes = catalog.Purposes.Select(p =>
            versions.TryGetValue(p.Id, out var version) && !string.Equals(version, p.NoticeVersion, StringComparison.Ordinal)
                ? new ConsentPurpose(p.Id, p.DisplayName, p.Description, version) { Lifetime = p.Lifetime, CoveredByParent = p.CoveredByParent }
                : p).ToList();
        var known = purposes.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var id in versions.Keys.Where(ConsentPurposeId.IsValid).Append(asked))
        {
            // The purpose and every ancestor, parents first (the catalog needs each parent registered).
            var chain = new List<string>();
            for (var p = id; p is not null; p = ConsentPurposeId.GetParent(p))
            {
                chain.Insert(0, p);
            }

            foreach (var p in chain.Where(known.Add))
            {
                purposes.Add(new ConsentPurpose(p, p, "Not registered in this app; known from the store.", versions.TryGetValue(p, out var version) ? version : UnknownNotice));
            }
        }

        return new(new ConsentPurposeCatalog(purposes));
    }
}
