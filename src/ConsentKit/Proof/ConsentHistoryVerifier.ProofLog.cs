using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    private async ValueTask<Finding?> CheckRegistryAsync(
        ProofLogState state, Dictionary<PackedSubjectKey, long> firstOfKey, Dictionary<string, PackedSubjectKey>? keyOf, CancellationToken cancellationToken)
    {
        Finding? first = null;
        void Note(PackedSubjectKey key, string message)
        {
            var sequence = firstOfKey.GetValueOrDefault(key);
            if (first is null || sequence < first.Sequence)
            {
                first = new(ConsentVerificationProblem.SubjectRegistryChanged, sequence, message);
            }
        }

        await foreach (var row in store.GetSubjectRegistryAsync(cancellationToken))
        {
            if (!PackedSubjectKey.TryPack(row.SubjectKey.Span, out var key))
            {
                var text = Convert.ToHexStringLower(row.SubjectKey.Span);
                first ??= new(ConsentVerificationProblem.SubjectRegistryChanged, 0, $"The subject registry links a subject to key {text}, which is not a ConsentKit key ({row.SubjectKey.Length} bytes).");
                continue;
            }

            keyOf?.TryAdd(row.SubjectId, key);

            // A registered key is marked as found by negating its sequence: a second row finds it negative.
            ref var registered = ref CollectionsMarshal.GetValueRefOrNullRef(state.Registered, key);
            if (!Unsafe.IsNullRef(ref registered) && registered.Sequence < 0)
            {
                Note(key, $"The subject registry holds key {key} twice.");
            }
            else if (state.Erased.TryGetValue(key, out var erasedAt))
            {
                Note(key, $"The subject registry links a subject to key {key}, which was erased (proof log entry {erasedAt}).");
            }
            else if (Unsafe.IsNullRef(ref registered))
            {
                Note(key, $"The subject registry links a subject to key {key}, which the proof log never registered.");
            }
            else
            {
                if (!ProofLogState.Binds(row, registered.Commitment))
                {
                    Note(key, $"The subject registry row of key {key} is not the one the proof log registered (proof log entry {registered.Sequence}): it was swapped, re-pointed or replaced.");
                }

                registered.Sequence = -registered.Sequence;
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
            if (registered.Sequence > 0 && !state.Erased.ContainsKey(key))
            {
                Note(key, $"The subject registry row of key {key} (proof log entry {registered.Sequence}) was deleted without an erasure.");
            }
        }

        return first;
    }

    private async ValueTask<Finding?> CheckLedgerAsync(ProofLogState state, Dictionary<string, PackedSubjectKey>? keyOf, CancellationToken cancellationToken)
    {
        if (ledger is null)
        {
            return null;
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

            // Members read back by subject id: mapped to keys by the registry (erased ones read as erased:<key>).
            var members = await ledger.GetSubjectsAsync(use.Id, cancellationToken);
            var storedMembers = new HashSet<(PackedSubjectKey Key, long ConsentSequence)>(members.Count);
            var unknown = 0;
            foreach (var member in members)
            {
                if (keyOf!.TryGetValue(member.SubjectId, out var key) || TryErasedKey(member.SubjectId, out key))
                {
                    storedMembers.Add((key, member.ConsentSequence));
                }
                else
                {
                    unknown++;
                }
            }

            if (unknown > 0 || !storedMembers.SetEquals(use.Members))
            {
                var added = unknown + storedMembers.Count(m => !use.Members.Contains(m));
                var removed = use.Members.Count(m => !storedMembers.Contains(m));
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

    private static bool TryErasedKey(string subjectId, out PackedSubjectKey key)
    {
        key = default;
        return subjectId.StartsWith(ErasedPrefix, StringComparison.Ordinal) && PackedSubjectKey.TryParse(subjectId[ErasedPrefix.Length..], out key);
    }

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
