using System.Runtime.InteropServices;

namespace ConsentKit;

/// <summary>
/// The one decision service: every path that can let data through — the gate and its cache, bulk checks,
/// purpose-wide scans, kept snapshots catching up, snapshot files, the recorder's plan, the auditor —
/// hands it the records it read (however it read them: one subject, a batch of ids, a scan, a change-feed
/// page) and gets the decision back. It is the only caller of <see cref="ConsentEvaluator"/>; nothing else
/// decides which record is current, what expires when, or what a parent's state does to a child.
/// </summary>
/// <remarks>Stateless apart from the catalog: safe to share, and to make for a past catalog (the auditor's).</remarks>
internal sealed class ConsentDecisionService
{
    public ConsentDecisionService(ConsentPurposeCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        Catalog = catalog;
    }

    public ConsentPurposeCatalog Catalog { get; }

    /// <summary>A subject's records laid out by purpose index, the latest (highest sequence) per purpose.</summary>
    public ConsentRecord?[] CurrentOf(IEnumerable<ConsentRecord> records) => ConsentEvaluator.IndexByPurpose(Catalog, records);

    /// <summary>Decides one purpose from a subject's current records; <paramref name="holdsUntil"/> is the decision's horizon.</summary>
    public ConsentDecision Decide(ConsentRecord?[] current, int purposeIndex, DateTimeOffset now, out DateTimeOffset holdsUntil) =>
        ConsentEvaluator.Decide(Catalog, purposeIndex, current, now, out holdsUntil);

    /// <summary>Decides one purpose from a subject's current records.</summary>
    public ConsentDecision Decide(ConsentRecord?[] current, int purposeIndex, DateTimeOffset now) =>
        ConsentEvaluator.Decide(Catalog, purposeIndex, current, now, out _);

    /// <summary>
    /// Decides <paramref name="purposeIndex"/> for every subject among <paramref name="records"/> (a bulk read of
    /// current records, any order) into <paramref name="decisions"/>, which already holds a denial for every
    /// subject asked about; returns the earliest horizon.
    /// </summary>
    public DateTimeOffset DecideMany(IReadOnlyList<ConsentRecord> records, int purposeIndex, DateTimeOffset now, Dictionary<string, ConsentDecision> decisions)
    {
        var horizon = DateTimeOffset.MaxValue;
        foreach (var group in records.GroupBy(r => r.SubjectId, StringComparer.Ordinal))
        {
            if (decisions.ContainsKey(group.Key))
            {
                decisions[group.Key] = Decide(CurrentOf(group), purposeIndex, now, out var until);
                horizon = Min(horizon, until);
            }
        }

        return horizon;
    }

    /// <summary>
    /// Decides <paramref name="purposeIndex"/> for each subject of a purpose-wide read that comes grouped by subject (a
    /// streaming scan), as it comes: hands out the allowed subjects with their grant and holds one subject's records
    /// at a time. <paramref name="horizon"/> ends as the earliest horizon among all subjects.
    /// </summary>
    public async IAsyncEnumerable<ConsentAllowedSubject> DecideAllowedAsync(
        IAsyncEnumerable<ConsentRecord> bySubject,
        int purposeIndex,
        DateTimeOffset now,
        System.Runtime.CompilerServices.StrongBox<DateTimeOffset> horizon,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var group = new List<ConsentRecord>(4);
        await foreach (var record in bySubject.WithCancellation(cancellationToken))
        {
            if (group.Count > 0 && !string.Equals(group[0].SubjectId, record.SubjectId, StringComparison.Ordinal))
            {
                if (DecideGroup(group, purposeIndex, now, horizon) is { } allowed)
                {
                    yield return allowed;
                }

                group.Clear();
            }

            group.Add(record);
        }

        if (group.Count > 0 && DecideGroup(group, purposeIndex, now, horizon) is { } last)
        {
            yield return last;
        }
    }

    private ConsentAllowedSubject? DecideGroup(List<ConsentRecord> group, int purposeIndex, DateTimeOffset now, System.Runtime.CompilerServices.StrongBox<DateTimeOffset> horizon)
    {
        var decision = Decide(CurrentOf(group), purposeIndex, now, out var until);
        horizon.Value = Min(horizon.Value, until);
        return decision.IsAllowed ? new ConsentAllowedSubject(group[0].SubjectId, decision.Record!.Sequence) : null;
    }

    /// <summary>
    /// Decides <paramref name="purposeIndex"/> for every subject in a purpose-wide read (records of the purpose
    /// and its ancestors, any order): one slot per subject, and the set's <see cref="ConsentPurposeDecisions.HoldsUntil"/>
    /// is the earliest horizon among them.
    /// </summary>
    public ConsentPurposeDecisions DecideAll(IReadOnlyList<ConsentRecord> records, long watermark, int purposeIndex, DateTimeOffset now)
    {
        // Grouped by subject as linked lists over the records (no list per subject).
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        var head = new List<int>();
        var next = new int[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(slots, records[i].SubjectId, out var seen);
            if (!seen)
            {
                slot = head.Count;
                head.Add(-1);
            }

            next[i] = head[slot];
            head[slot] = i;
        }

        // The grouping's numbering is the decisions' numbering: the table is handed over, not rebuilt.
        var decisions = new ConsentPurposeDecisions(Catalog[purposeIndex].Id, watermark, now, slots);
        var horizon = DateTimeOffset.MaxValue;

        // One array for every subject: a decision holds its deciding record itself, not the array.
        var current = new ConsentRecord?[Catalog.Count];
        foreach (var slot in slots.Values)
        {
            Array.Clear(current);
            for (var i = head[slot]; i >= 0; i = next[i])
            {
                ConsentEvaluator.Include(Catalog, current, records[i]);
            }

            decisions.Set(slot, Decide(current, purposeIndex, now, out var until));
            horizon = Min(horizon, until);
        }

        decisions.HoldsUntil = horizon;
        return decisions;
    }

    /// <summary>
    /// The ancestor whose state keeps a grant of <paramref name="purposeIndex"/> from taking effect (refused,
    /// withdrawn or expired), as the evaluator decides that ancestor; <see langword="null"/> when none does.
    /// </summary>
    public ConsentDecision? AncestorBlocking(ConsentRecord?[] current, int purposeIndex, DateTimeOffset now)
    {
        foreach (var ancestor in Catalog.AncestorsOf(purposeIndex))
        {
            var decision = Decide(current, ancestor, now);
            if (decision.Reason is ConsentDecisionReason.Refused or ConsentDecisionReason.Withdrawn or ConsentDecisionReason.Expired)
            {
                return decision;
            }
        }

        return null;
    }

    /// <summary>
    /// The descendants of <paramref name="purposeIndex"/> a refusal or withdrawal of it must close too: every one
    /// whose latest record is a grant, valid or not — a grant merely blocked (by an expired ancestor, an
    /// older notice, its own expiry) would otherwise come back when the ancestor is turned on again.
    /// </summary>
    public IEnumerable<int> GrantsClosedWith(ConsentRecord?[] current, int purposeIndex)
    {
        for (var i = 0; i < Catalog.Count; i++)
        {
            if (current[i] is { Status: ConsentStatus.Granted } && Catalog.AncestorsOf(i).Contains(purposeIndex))
            {
                yield return i;
            }
        }
    }

    /// <summary>Whether a refusal of <paramref name="purposeIndex"/> would land on a grant: its own, or a descendant's latest record.</summary>
    public bool HasGrantAtOrBelow(ConsentRecord?[] current, int purposeIndex) =>
        current[purposeIndex] is { Status: ConsentStatus.Granted } || GrantsClosedWith(current, purposeIndex).Any();

    /// <summary>The expiry a new grant is recorded with: its purpose's lifetime from now, or none when that passes the calendar's end.</summary>
    public static DateTimeOffset? ExpiryOfNewGrant(ConsentPurpose purpose, DateTimeOffset now) =>
        purpose.Lifetime is { } lifetime && lifetime.Ticks <= DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks ? now + lifetime : null;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;
}
