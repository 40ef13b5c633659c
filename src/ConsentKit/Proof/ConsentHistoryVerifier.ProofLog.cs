using System.Security.Cryptography;

namespace ConsentKit;

/// <summary>The proof log, the subject registry and the ledger: the checks after the records' walk.</summary>
public sealed partial class ConsentHistoryVerifier
{
    private async ValueTask<Finding?> WalkLogAsync(LogWalk log, ConsentChainHead? anchor, CancellationToken cancellationToken)
    {
        var anchorSeen = anchor?.LogHash is null || anchor.LogSequence == 0;
        while (true)
        {
            var page = await store.GetProofLogAsync(log.LastSequence, PageSize, cancellationToken);
            foreach (var entry in page)
            {
                if (entry.Sequence != log.LastSequence + 1)
                {
                    return entry.Sequence > log.LastSequence + 1
                        ? new(ConsentVerificationProblem.ProofLogChanged, log.LastSequence + 1, $"Proof log entry {log.LastSequence + 1} is missing (the next is {entry.Sequence}).")
                        : new(ConsentVerificationProblem.ProofLogChanged, entry.Sequence, $"Proof log entry {entry.Sequence} stands after entry {log.LastSequence}: it was moved or renumbered.");
                }

                if (!entry.PreviousHash.Span.SequenceEqual(log.LastHash) || !ConsentProofLog.HasValidHash(entry))
                {
                    return new(
                        ConsentVerificationProblem.ProofLogChanged,
                        entry.Sequence,
                        $"Proof log entry {entry.Sequence} does not match its hash or the entry before it: a registration, an erasure or a data use was changed.");
                }

                if (log.State.Apply(entry) is { } malformed)
                {
                    return new(ConsentVerificationProblem.ProofLogChanged, entry.Sequence, malformed);
                }

                if (anchor?.LogHash is { } anchored && entry.Sequence == anchor.LogSequence)
                {
                    anchorSeen = true;
                    if (!CryptographicOperations.FixedTimeEquals(Convert.FromHexString(anchored), entry.Hash.Span))
                    {
                        return new(
                            ConsentVerificationProblem.AnchorMismatch,
                            entry.Sequence,
                            $"Proof log entry {entry.Sequence} has another hash than the anchored head: the subject registry's or the ledger's history up to it was rewritten.");
                    }
                }

                log.LastSequence = entry.Sequence;
                log.LastHash = entry.Hash.ToArray();
                log.Count++;
            }

            if (page.Count < PageSize)
            {
                break;
            }
        }

        return anchorSeen
            ? null
            : new(
                ConsentVerificationProblem.AnchorMismatch,
                anchor!.LogSequence,
                $"The anchored proof log entry {anchor.LogSequence} is missing: the log ends at {log.LastSequence} (cut off the end).");
    }

    private async ValueTask<Finding?> CheckRegistryAsync(ProofLogState state, Dictionary<string, long> firstOfKey, CancellationToken cancellationToken)
    {
        var inRegistry = new HashSet<string>(StringComparer.Ordinal);
        Finding? first = null;
        void Note(string key, string message)
        {
            var sequence = firstOfKey.GetValueOrDefault(key);
            if (first is null || sequence < first.Sequence)
            {
                first = new(ConsentVerificationProblem.SubjectRegistryChanged, sequence, message);
            }
        }

        await foreach (var row in store.GetSubjectRegistryAsync(cancellationToken))
        {
            var key = Convert.ToHexStringLower(row.SubjectKey.Span);
            if (!inRegistry.Add(key))
            {
                Note(key, $"The subject registry holds key {key} twice.");
            }
            else if (state.Erased.TryGetValue(key, out var erasedAt))
            {
                Note(key, $"The subject registry links a subject to key {key}, which was erased (proof log entry {erasedAt}).");
            }
            else if (!state.Registered.ContainsKey(key))
            {
                Note(key, $"The subject registry links a subject to key {key}, which the proof log never registered.");
            }
            else if (!state.Binds(row, key))
            {
                Note(key, $"The subject registry row of key {key} is not the one the proof log registered (proof log entry {state.Registered[key].Sequence}): it was swapped, re-pointed or replaced.");
            }
        }

        // A key erased before the store had a proof log was logged as erased only (its id and secret were gone).
        foreach (var (key, sequence) in firstOfKey)
        {
            if (!state.Registered.ContainsKey(key) && !state.Erased.ContainsKey(key))
            {
                Note(key, $"Record {sequence} names subject key {key}, which the proof log never registered.");
            }
        }

        foreach (var (key, registered) in state.Registered)
        {
            if (!inRegistry.Contains(key) && !state.Erased.ContainsKey(key))
            {
                Note(key, $"The subject registry row of key {key} (proof log entry {registered.Sequence}) was deleted without an erasure.");
            }
        }

        return first;
    }

    private async ValueTask<Finding?> CheckLedgerAsync(ProofLogState state, CancellationToken cancellationToken)
    {
        if (ledger is null)
        {
            return null;
        }

        // Members read back by subject id: map the registry's ids to keys (erased keys read as erased:<key>).
        var keyOf = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var row in store.GetSubjectRegistryAsync(cancellationToken))
        {
            keyOf[row.SubjectId] = Convert.ToHexStringLower(row.SubjectKey.Span);
        }

        foreach (var use in state.DataUses.Values.OrderBy(u => u.Sequence))
        {
            var stored = await ledger.GetAsync(use.Id, cancellationToken);
            if (stored is null)
            {
                return new(ConsentVerificationProblem.LedgerChanged, use.Sequence, $"Data use '{use.Id}' (proof log entry {use.Sequence}) is missing from the ledger.");
            }

            if (use.Difference(stored) is { } field)
            {
                return new(ConsentVerificationProblem.LedgerChanged, use.Sequence, $"Data use '{use.Id}' has another {field} in the ledger than the proof log recorded.");
            }

            var members = await ledger.GetSubjectsAsync(use.Id, cancellationToken);
            var storedMembers = members
                .Select(m => (Key: keyOf.TryGetValue(m.SubjectId, out var key) ? key : ErasedKey(m.SubjectId), m.ConsentSequence))
                .ToHashSet();
            if (!storedMembers.SetEquals(use.Members))
            {
                var added = storedMembers.Except(use.Members).Count();
                var removed = use.Members.Except(storedMembers).Count();
                return new(
                    ConsentVerificationProblem.LedgerChanged,
                    use.Sequence,
                    $"The members of data use '{use.Id}' are not the ones the proof log recorded: {added} added and {removed} removed after the fact.");
            }
        }

        foreach (var stored in await ledger.ListAsync(int.MaxValue, cancellationToken))
        {
            if (!state.DataUses.ContainsKey(stored.Id))
            {
                return new(ConsentVerificationProblem.LedgerChanged, 0, $"Data use '{stored.Id}' is in the ledger, but the proof log never recorded it.");
            }
        }

        return null;
    }

    private static string ErasedKey(string subjectId) =>
        subjectId.StartsWith(ErasedPrefix, StringComparison.Ordinal) ? subjectId[ErasedPrefix.Length..] : "unregistered:" + subjectId;

    private const string ErasedPrefix = "erased:";

    private sealed record Finding(ConsentVerificationProblem Problem, long Sequence, string Message);

    /// <summary>Where the walk of the proof log is; <paramref name="partial"/> when it starts after an anchor.</summary>
    private sealed class LogWalk(bool partial = false)
    {
        public long LastSequence { get; set; }

        public byte[] LastHash { get; set; } = ConsentChain.GenesisHash.ToArray();

        public long Count { get; set; }

        public ProofLogState State { get; } = new() { Partial = partial };
    }
}
