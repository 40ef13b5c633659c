using System.Diagnostics;

namespace ConsentKit;

/// <summary>The gate's purpose-wide read: every subject decided for one purpose from one scan.</summary>
internal sealed partial class ConsentGate
{
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
        var ancestors = _catalog.AncestorsOf(purposeIndex);
        var purposes = new string[ancestors.Length + 1];
        purposes[0] = purposeId;
        for (var i = 0; i < ancestors.Length; i++)
        {
            purposes[i + 1] = _catalog[ancestors[i]].Id;
        }

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

        var now = _clock.ExactUtcNow();
        return Decide(scan, purposeIndex, now);
    }

    /// <summary>Whether <paramref name="purposeId"/> is a registered purpose.</summary>
    internal bool IsRegistered(string purposeId) => _catalog.IndexOf(purposeId) >= 0;

    /// <summary>Groups the scanned records by subject (a linked list per subject, no list per subject) and decides each once.</summary>
    private ConsentPurposeDecisions Decide(Storage.ConsentPurposeScan scan, int purposeIndex, DateTimeOffset now)
    {
        var records = scan.Records;
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
        }

        var decisions = new ConsentPurposeDecisions(_catalog[purposeIndex].Id, scan.Watermark, now, ConsentDecisionReason.NoRecord, slots.Count);
        var current = new ConsentRecord?[_catalog.Count];
        foreach (var (subject, slot) in slots)
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

            decisions.Add(subject, ConsentEvaluator.Decide(_catalog, purposeIndex, current, now, out _));
        }

        return decisions;
    }
}
