using System.Diagnostics;

namespace ConsentKit;

/// <summary>The gate's purpose-wide read: every subject decided for one purpose from one scan.</summary>
internal sealed partial class ConsentGate
{
    /// <summary>A kept snapshot catches up through changes to at least this many subjects before it is read whole again.</summary>
    internal const int MinimumCatchUp = 1_000;

    private const int ChangePageSize = 4_096;

    /// <summary>
    /// Decides <paramref name="purposeId"/> for every subject from one scan of the store's current state for
    /// the purpose and its ancestors (bounded by <see cref="ConsentKitOptions.StoreTimeout"/>), with the same
    /// evaluator as every other check. Like <see cref="CheckManyAsync"/>, it reads the store directly and
    /// leaves the per-subject cache alone. A store failure denies everyone with
    /// <see cref="ConsentDecisionReason.StoreUnavailable"/>.
    /// </summary>
    internal async ValueTask<ConsentPurposeDecisions> DecideAllAsync(string purposeId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(purposeId);
        var purposeIndex = _catalog.IndexOf(purposeId);
        if (purposeIndex < 0)
        {
            return new ConsentPurposeDecisions(purposeId, 0, _clock.ExactUtcNow(), ConsentDecisionReason.UnknownPurpose);
        }

        purposeId = _catalog[purposeIndex].Id;
        var purposes = ScopeOf(purposeIndex);
        Storage.ConsentPurposeScan scan;
        try
        {
            using var activity = ConsentKitInstrumentation.ActivitySource.StartActivity("consentkit.store.scan_current", ActivityKind.Internal);
            scan = await StoreTimeout.CallAsync(ct => _store.ScanCurrentAsync(purposes, ct), _storeTimeout, _timeProvider, cancellationToken);
            activity?.SetTag("consentkit.records", scan.Records.Count);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogStoreFailure(purposeId, ex);
            return new ConsentPurposeDecisions(purposeId, 0, _clock.ExactUtcNow(), ConsentDecisionReason.StoreUnavailable);
        }

        return Decide(scan.Records, scan.Watermark, purposeIndex, _clock.ExactUtcNow());
    }

    /// <summary>
    /// Brings a kept purpose-wide decision set up to the store's latest sequence: reads the change feed from
    /// its watermark and decides again, from one bulk read by id, only the subjects whose records for the
    /// purpose or an ancestor changed. Says <see cref="ConsentCatchUp.ReadAgain"/> when that would not be
    /// cheaper or not be right: more changed subjects than an eighth of the set (at least
    /// <see cref="MinimumCatchUp"/>), an erased subject among them (its records no longer name it), or a
    /// grant in the set reaching its expiry. Leaves <paramref name="kept"/> untouched unless it succeeds.
    /// </summary>
    internal async ValueTask<ConsentCatchUp> CatchUpAsync(ConsentPurposeDecisions kept, CancellationToken cancellationToken)
    {
        var purposeIndex = _catalog.IndexOf(kept.PurposeId);
        var now = _clock.ExactUtcNow();
        if (purposeIndex < 0 || kept.StoreUnavailable || now >= kept.NextExpiry)
        {
            return ConsentCatchUp.ReadAgain;
        }

        var scope = new HashSet<string>(ScopeOf(purposeIndex), StringComparer.Ordinal);
        var limit = Math.Max(MinimumCatchUp, kept.Count / 8);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var watermark = kept.Watermark;
        ConsentPurposeDecisions? decided = null;
        try
        {
            using var activity = ConsentKitInstrumentation.ActivitySource.StartActivity("consentkit.store.catch_up", ActivityKind.Internal);
            while (true)
            {
                var after = watermark;
                var page = await StoreTimeout.CallAsync(ct => _store.GetChangesAsync(after, ChangePageSize, ct), _storeTimeout, _timeProvider, cancellationToken);
                foreach (var record in page)
                {
                    watermark = record.Sequence;
                    if (!scope.Contains(record.PurposeId))
                    {
                        continue;
                    }

                    if (record.IsSubjectErased || (changed.Add(record.SubjectId) && changed.Count > limit))
                    {
                        return ConsentCatchUp.ReadAgain;
                    }
                }

                if (page.Count < ChangePageSize)
                {
                    break;
                }
            }

            if (changed.Count > 0)
            {
                var current = await StoreTimeout.CallAsync(ct => _store.GetCurrentManyAsync(changed, ct), _storeTimeout, _timeProvider, cancellationToken);
                decided = Decide(current, watermark, purposeIndex, now);
            }

            activity?.SetTag("consentkit.subjects", changed.Count);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogStoreFailure(kept.PurposeId, ex);
            return ConsentCatchUp.StoreUnavailable;
        }

        foreach (var subject in changed)
        {
            kept.Put(subject, decided!.Decide(subject));
        }

        if (decided is not null && decided.NextExpiry < kept.NextExpiry)
        {
            kept.NextExpiry = decided.NextExpiry;
        }

        kept.Watermark = watermark;
        kept.DecidedAt = now;
        return ConsentCatchUp.Current;
    }

    /// <summary>The purpose and its ancestors: what its decision reads.</summary>
    private string[] ScopeOf(int purposeIndex)
    {
        var ancestors = _catalog.AncestorsOf(purposeIndex);
        var purposes = new string[ancestors.Length + 1];
        purposes[0] = _catalog[purposeIndex].Id;
        for (var i = 0; i < ancestors.Length; i++)
        {
            purposes[i + 1] = _catalog[ancestors[i]].Id;
        }

        return purposes;
    }

    /// <summary>Whether <paramref name="purposeId"/> is a registered purpose.</summary>
    internal bool IsRegistered(string purposeId) => _catalog.IndexOf(purposeId) >= 0;

    /// <summary>
    /// Groups the records by subject (a linked list per subject, no list per subject) and decides each once;
    /// notes the earliest expiry still ahead, after which a decision could change by time alone.
    /// </summary>
    private ConsentPurposeDecisions Decide(IReadOnlyList<ConsentRecord> records, long watermark, int purposeIndex, DateTimeOffset now)
    {
        var nextExpiry = DateTimeOffset.MaxValue;
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        var head = new List<int>();
        var next = new int[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(slots, records[i].SubjectId, out var seen);
            if (!seen)
            {
                slot = head.Count;
                head.Add(-1);
            }

            next[i] = head[slot];
            head[slot] = i;
            if (records[i].ExpiresAt is { } expiry && expiry > now && expiry < nextExpiry)
            {
                nextExpiry = expiry;
            }
        }

        // The grouping's numbering is the decisions' numbering: the table is handed over, not rebuilt.
        var decisions = new ConsentPurposeDecisions(_catalog[purposeIndex].Id, watermark, now, slots)
        {
            NextExpiry = nextExpiry,
        };
        var current = new ConsentRecord?[_catalog.Count];
        foreach (var slot in slots.Values)
        {
            // One array for every subject: the evaluator's decisions hold the deciding record itself.
            Array.Clear(current);
            for (var i = head[slot]; i >= 0; i = next[i])
            {
                var index = _catalog.IndexOf(records[i].PurposeId);
                if (index >= 0 && (current[index] is null || current[index]!.Sequence < records[i].Sequence))
                {
                    current[index] = records[i];
                }
            }

            decisions.Set(slot, ConsentEvaluator.Decide(_catalog, purposeIndex, current, now, out _));
        }

        return decisions;
    }
}

/// <summary>How <see cref="ConsentGate.CatchUpAsync"/> ended.</summary>
internal enum ConsentCatchUp
{
    /// <summary>The kept set is now at the store's latest sequence.</summary>
    Current,

    /// <summary>The kept set must be read whole again (left untouched).</summary>
    ReadAgain,

    /// <summary>The store could not be read (the set left untouched).</summary>
    StoreUnavailable,
}
