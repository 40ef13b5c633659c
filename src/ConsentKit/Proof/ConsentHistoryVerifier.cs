using System.Security.Cryptography;

namespace ConsentKit;

/// <summary>
/// Walks a store's chain and reports the first record whose content, order or presence is wrong, then
/// checks that the current-state index agrees with the records. Needs no ASP.NET Core.
/// </summary>
/// <remarks>
/// The chain is unkeyed SHA-256: it detects any change that does not also rewrite every later hash. A
/// rewrite that does is detected by verifying against a head exported before it (the anchor
/// of <see cref="VerifyAsync"/>). Memory grows with the number of (subject, purpose) pairs (one
/// entry each, to check the current-state index).
/// </remarks>
/// <param name="store">The store to verify.</param>
public sealed class ConsentHistoryVerifier(IConsentStore store)
{
    private const int PageSize = 2_000;

    /// <summary>Verifies the whole history.</summary>
    /// <param name="anchor">A head exported earlier; when given, that record must still be there with that hash.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    public async Task<ConsentVerificationResult> VerifyAsync(ConsentChainHead? anchor = null, CancellationToken cancellationToken = default)
    {
        var notices = (await store.GetNoticesAsync(cancellationToken))
            .ToDictionary(n => (n.PurposeId, n.NoticeVersion), n => n.Digest);
        var latest = new Dictionary<(string Key, string Purpose), long>();
        var previousSequence = 0L;
        var previousHash = ConsentChain.GenesisHash.ToArray();
        var checkedCount = 0L;
        var anchorSeen = anchor is null || anchor.Sequence == 0;

        ConsentVerificationResult Fail(ConsentVerificationProblem problem, long sequence, string message) => new()
        {
            Problem = problem,
            FirstBadSequence = sequence,
            Message = message,
            RecordsChecked = checkedCount,
            Head = new ConsentChainHead { Sequence = previousSequence, Hash = Convert.ToHexStringLower(previousHash) },
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

                latest[(Convert.ToHexStringLower(entry.SubjectKey.Span), entry.PurposeId)] = entry.Sequence;
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

        var matched = new HashSet<(string, string)>();
        await foreach (var pointer in store.GetCurrentStateAsync(cancellationToken))
        {
            var pair = (Convert.ToHexStringLower(pointer.SubjectKey.Span), pointer.PurposeId);
            if (!latest.TryGetValue(pair, out var last))
            {
                return Fail(
                    ConsentVerificationProblem.CurrentStateDisagrees,
                    pointer.Sequence,
                    $"The current-state index points '{pointer.PurposeId}' of subject key {pair.Item1} at record {pointer.Sequence}, but that pair has no records.");
            }

            if (last != pointer.Sequence)
            {
                return Fail(
                    ConsentVerificationProblem.CurrentStateDisagrees,
                    pointer.Sequence,
                    $"The current-state index says record {pointer.Sequence} is current for '{pointer.PurposeId}' of subject key {pair.Item1}; the records say {last}.");
            }

            matched.Add(pair);
        }

        if (matched.Count != latest.Count)
        {
            var missing = latest.Where(p => !matched.Contains(p.Key)).Min(p => p.Value);
            return Fail(
                ConsentVerificationProblem.CurrentStateDisagrees,
                missing,
                $"The current-state index has no row for the pair of record {missing} (and {latest.Count - matched.Count - 1} more): the records say it is current.");
        }

        return new ConsentVerificationResult
        {
            Problem = ConsentVerificationProblem.None,
            RecordsChecked = checkedCount,
            Head = new ConsentChainHead { Sequence = previousSequence, Hash = Convert.ToHexStringLower(previousHash) },
        };
    }
}
