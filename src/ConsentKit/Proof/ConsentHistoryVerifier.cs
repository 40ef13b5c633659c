using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace ConsentKit;

/// <summary>
/// Walks a store's chain and reports the first record whose content, order or presence is wrong; checks
/// the store's counter for records cut off the end, the current-state index against the records, the
/// proof log, the subject registry against it and, given the ledger, the data-use ledger against it.
/// Needs no ASP.NET Core.
/// </summary>
/// <remarks>
/// The chains are unkeyed SHA-256: they detect any change that does not also rewrite every later hash. A
/// rewrite that does is detected by verifying against a head exported before it (the anchor
/// of <see cref="VerifyAsync"/>). Memory grows with the number of (subject, purpose) pairs and of subjects
/// (one packed entry each, to check the current-state index and the registry: 2.3–2.9 GB for 10M people, see
/// docs/performance.md) and of data-use members.
/// </remarks>
public sealed partial class ConsentHistoryVerifier
{
    private const int PageSize = 2_000;
    private readonly IConsentStore store;
    private readonly IDataUseLedger? ledger;

    /// <summary>Creates a verifier of the records, the proof log and the subject registry.</summary>
    /// <param name="store">The store to verify.</param>
    public ConsentHistoryVerifier(IConsentStore store)
        : this(store, null)
    {
    }

    /// <summary>Creates a verifier that also checks the data-use ledger against the proof log.</summary>
    /// <param name="store">The store to verify.</param>
    /// <param name="ledger">The store's data-use ledger, or <see langword="null"/> to leave it unchecked.</param>
    public ConsentHistoryVerifier(IConsentStore store, IDataUseLedger? ledger)
    {
        ArgumentNullException.ThrowIfNull(store);
        this.store = store;
        this.ledger = ledger;
    }

    /// <summary>Verifies the whole history.</summary>
    /// <param name="anchor">A head exported earlier; when given, that record must still be there with that hash.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    public Task<ConsentVerificationResult> VerifyAsync(ConsentChainHead? anchor = null, CancellationToken cancellationToken = default) =>
        VerifyCoreAsync(anchor, since: false, cancellationToken);

    /// <summary>
    /// Verifies what was appended after <paramref name="anchor"/>, a head verified and anchored earlier: the
    /// anchored record and proof-log entry must still be there with the anchored hashes, every record and entry
    /// after them must chain on, and the store's counter must not be ahead. It reads only the new part, so
    /// it does not re-check what came before the anchor, the current-state index, the registry or the ledger:
    /// run <see cref="VerifyAsync"/> for those (the hosted verifier does, every
    /// <see cref="ConsentHistoryVerificationOptions.FullVerificationEvery"/> rounds and after any failure).
    /// </summary>
    /// <param name="anchor">The head to start from.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    public async Task<ConsentVerificationResult> VerifySinceAsync(ConsentChainHead anchor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        ConsentVerificationResult Mismatch(long sequence, string what) => new()
        {
            Problem = ConsentVerificationProblem.AnchorMismatch,
            FirstBadSequence = sequence,
            Message = $"The anchored {what} {sequence} is missing or has another hash: the history up to it was rewritten or cut off.",
            RecordsChecked = 0,
            Head = anchor,
            Anchored = true,
            Incremental = true,
        };

        if (anchor.Sequence > 0
            && (await store.GetChainAsync(anchor.Sequence - 1, 1, cancellationToken) is not [var record]
                || record.Sequence != anchor.Sequence
                || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(anchor.Hash), record.Hash.Span)))
        {
            return Mismatch(anchor.Sequence, "record");
        }

        if (anchor.LogHash is not null && anchor.LogSequence > 0
            && (await store.GetProofLogAsync(anchor.LogSequence - 1, 1, cancellationToken) is not [var entry]
                || entry.Sequence != anchor.LogSequence
                || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(anchor.LogHash), entry.Hash.Span)))
        {
            return Mismatch(anchor.LogSequence, "proof log entry");
        }

        return await VerifyCoreAsync(anchor, since: true, cancellationToken);
    }

    private async Task<ConsentVerificationResult> VerifyCoreAsync(ConsentChainHead? anchor, bool since, CancellationToken cancellationToken)
    {
        var notices = (await store.GetNoticesAsync(cancellationToken))
            .ToDictionary(n => (n.PurposeId, n.NoticeVersion), n => n.Digest);
        // Keys packed and purposes numbered: one small entry per pair and per person. A pair's value is its
        // latest sequence, negated once the current-state index is found to point at it.
        var purposes = new PurposeNumbers();
        var latest = new Dictionary<(PackedSubjectKey Key, int Purpose), long>();
        var firstOfKey = new Dictionary<PackedSubjectKey, long>();
        var log = new LogWalk(partial: since);
        var previousSequence = since ? anchor!.Sequence : 0L;
        var previousHash = since ? Convert.FromHexString(anchor!.Hash) : ConsentChain.GenesisHash.ToArray();
        if (since && anchor!.LogHash is { } logHash)
        {
            log.LastSequence = anchor.LogSequence;
            log.LastHash = Convert.FromHexString(logHash);
        }

        var checkedCount = 0L;
        var anchorSeen = anchor is null || anchor.Sequence == 0 || since;

        ConsentVerificationResult Fail(ConsentVerificationProblem problem, long sequence, string message) => new()
        {
            Problem = problem,
            FirstBadSequence = sequence,
            Message = message,
            RecordsChecked = checkedCount,
            LogEntriesChecked = log.Count,
            Head = Head(previousSequence, previousHash, log),
            Anchored = anchor is not null,
            Incremental = since,
        };

        while (true)
        {
            var page = await store.GetChainAsync(previousSequence, PageSize, cancellationToken);
            foreach (var entry in page)
            {
                if (anchor is not null && !anchorSeen && entry.Sequence > anchor.Sequence)
                {
                    return Fail(ConsentVerificationProblem.AnchorMismatch, anchor.Sequence, $"The anchored record {anchor.Sequence} is missing.");
                }

                if (entry.PreviousSequence >= entry.Sequence)
                {
                    return Fail(
                        ConsentVerificationProblem.OrderChanged,
                        entry.Sequence,
                        $"Record {entry.Sequence} says it follows record {entry.PreviousSequence}: it was moved or renumbered.");
                }

                if (entry.PreviousSequence > previousSequence)
                {
                    return Fail(
                        ConsentVerificationProblem.RecordMissing,
                        entry.PreviousSequence,
                        $"Record {entry.Sequence} follows record {entry.PreviousSequence}, which is missing.");
                }

                if (entry.PreviousSequence < previousSequence)
                {
                    return Fail(
                        ConsentVerificationProblem.OrderChanged,
                        previousSequence,
                        $"Record {entry.Sequence} follows record {entry.PreviousSequence}, but record {previousSequence} stands between them: it was inserted or moved.");
                }

                if (!ConsentChain.HasValidHash(entry, previousHash))
                {
                    return Fail(
                        ConsentVerificationProblem.ContentChanged,
                        entry.Sequence,
                        $"Record {entry.Sequence} does not match its hash: its fields, its sequence or the hash of record {entry.PreviousSequence} before it were changed.");
                }

                if (!entry.NoticeDigest.Span.SequenceEqual(ConsentChain.NoNoticeDigest.Span)
                    && (!notices.TryGetValue((entry.PurposeId, entry.NoticeVersion), out var digest) || !digest.Span.SequenceEqual(entry.NoticeDigest.Span)))
                {
                    return Fail(
                        ConsentVerificationProblem.NoticeChanged,
                        entry.Sequence,
                        $"Record {entry.Sequence} was made under the kept text of '{entry.PurposeId}' notice {entry.NoticeVersion}, which is missing or was changed.");
                }

                if (anchor is not null && entry.Sequence == anchor.Sequence)
                {
                    anchorSeen = true;
                    if (!CryptographicOperations.FixedTimeEquals(Convert.FromHexString(anchor.Hash), entry.Hash.Span))
                    {
                        return Fail(
                            ConsentVerificationProblem.AnchorMismatch,
                            entry.Sequence,
                            $"Record {entry.Sequence} has another hash than the anchored head: the history up to it was rewritten.");
                    }
                }

                if (!PackedSubjectKey.TryPack(entry.SubjectKey.Span, out var key))
                {
                    return Fail(
                        ConsentVerificationProblem.ContentChanged,
                        entry.Sequence,
                        $"Record {entry.Sequence} has a subject key of {entry.SubjectKey.Length} bytes: ConsentKit writes {ConsentChain.SubjectKeyLength}.");
                }

                latest[(key, purposes.Of(entry.PurposeId))] = entry.Sequence;
                firstOfKey.TryAdd(key, entry.Sequence);
                previousSequence = entry.Sequence;
                previousHash = entry.Hash.ToArray();
                checkedCount++;
            }

            if (page.Count < PageSize)
            {
                break;
            }
        }

        if (!anchorSeen)
        {
            return Fail(ConsentVerificationProblem.AnchorMismatch, anchor!.Sequence, $"The anchored record {anchor.Sequence} is missing: the history ends at {previousSequence}.");
        }

        var counter = await store.GetSequenceCounterAsync(cancellationToken);
        if (counter > previousSequence)
        {
            return Fail(
                ConsentVerificationProblem.Truncated,
                previousSequence + 1,
                $"The store's sequence counter has handed out {counter}, but the last record is {previousSequence}: record {previousSequence + 1} onwards were cut off the end.");
        }

        if (since)
        {
            return await WalkLogAsync(log, null, cancellationToken) is { } logProblem
                ? Fail(logProblem.Problem, logProblem.Sequence, logProblem.Message)
                : new ConsentVerificationResult
                {
                    Problem = ConsentVerificationProblem.None,
                    RecordsChecked = checkedCount,
                    LogEntriesChecked = log.Count,
                    Head = Head(previousSequence, previousHash, log),
                    Anchored = true,
                    Incremental = true,
                };
        }

        var matched = 0L;
        await foreach (var pointer in store.GetCurrentStateAsync(cancellationToken))
        {
            ref var last = ref Unsafe.NullRef<long>();
            if (PackedSubjectKey.TryPack(pointer.SubjectKey.Span, out var key) && purposes.TryGet(pointer.PurposeId, out var purpose))
            {
                last = ref CollectionsMarshal.GetValueRefOrNullRef(latest, (key, purpose));
            }

            if (Unsafe.IsNullRef(ref last))
            {
                return Fail(
                    ConsentVerificationProblem.CurrentStateDisagrees,
                    pointer.Sequence,
                    $"The current-state index points '{pointer.PurposeId}' of subject key {Convert.ToHexStringLower(pointer.SubjectKey.Span)} at record {pointer.Sequence}, but that pair has no records.");
            }

            if (Math.Abs(last) != pointer.Sequence)
            {
                return Fail(
                    ConsentVerificationProblem.CurrentStateDisagrees,
                    pointer.Sequence,
                    $"The current-state index says record {pointer.Sequence} is current for '{pointer.PurposeId}' of subject key {Convert.ToHexStringLower(pointer.SubjectKey.Span)}; the records say {Math.Abs(last)}.");
            }

            if (last < 0)
            {
                return Fail(
                    ConsentVerificationProblem.CurrentStateDisagrees,
                    pointer.Sequence,
                    $"The current-state index holds '{pointer.PurposeId}' of subject key {Convert.ToHexStringLower(pointer.SubjectKey.Span)} twice.");
            }

            last = -last;
            matched++;
        }

        if (matched != latest.Count)
        {
            var missing = latest.Values.Where(v => v > 0).Min();
            return Fail(
                ConsentVerificationProblem.CurrentStateDisagrees,
                missing,
                $"The current-state index has no row for the pair of record {missing} (and {latest.Count - matched - 1} more): the records say it is current.");
        }

        var found = await WalkLogAsync(log, anchor, cancellationToken);

        // The ledger names members by subject id: the registry's walk maps ids to keys, only when there are members to map.
        var keyOf = ledger is not null && log.State.DataUses.Count > 0 ? new Dictionary<string, PackedSubjectKey>(StringComparer.Ordinal) : null;
        found ??= await CheckRegistryAsync(log.State, firstOfKey, keyOf, cancellationToken)
            ?? await CheckLedgerAsync(log.State, keyOf, cancellationToken);
        if (found is not null)
        {
            return Fail(found.Problem, found.Sequence, found.Message);
        }

        return new ConsentVerificationResult
        {
            Problem = ConsentVerificationProblem.None,
            RecordsChecked = checkedCount,
            LogEntriesChecked = log.Count,
            Head = Head(previousSequence, previousHash, log),
            Anchored = anchor is not null,
        };
    }

    /// <summary>Numbers the purposes the records name, so a pair's entry holds an int rather than a string.</summary>
    private sealed class PurposeNumbers
    {
        private readonly Dictionary<string, int> numbers = new(StringComparer.Ordinal);

        public int Of(string purposeId)
        {
            ref var number = ref CollectionsMarshal.GetValueRefOrAddDefault(numbers, purposeId, out var exists);
            if (!exists)
            {
                number = numbers.Count - 1;
            }

            return number;
        }

        public bool TryGet(string purposeId, out int number) => numbers.TryGetValue(purposeId, out number);
    }

    private static ConsentChainHead Head(long sequence, byte[] hash, LogWalk log) => new()
    {
        Sequence = sequence,
        Hash = Convert.ToHexStringLower(hash),
        LogSequence = log.LastSequence,
        LogHash = Convert.ToHexStringLower(log.LastHash),
    };
}
