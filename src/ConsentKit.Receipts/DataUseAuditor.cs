using System.Text.Json;

namespace ConsentKit.Receipts;

/// <summary>
/// The default <see cref="IDataUseAuditor"/>: two passes over the store's chain, oldest first — the first finds
/// each included grant (and checks its hash), the second collects those subjects' records by subject key, so
/// subjects erased since are audited too. Whether a grant was valid at the run's start is decided by
/// <see cref="IConsentPastDecisions"/>, the same service and rules as every gate check, at that instant.
/// </summary>
/// <remarks>
/// "The notice current then" is read from the history itself: a grant is only ever accepted under the
/// purpose's current notice, so the newest version any grant of the purpose was made under before the
/// run's start is the version that was current then.
/// </remarks>
internal sealed class DataUseAuditor(
    IConsentStore store,
    IDataUseLedger? ledger,
    ConsentHistoryVerifier verifier,
    ConsentReceiptService signer,
    IConsentPastDecisions pastDecisions,
    TimeProvider timeProvider) : IDataUseAuditor
{
    private const int PageSize = 2_000;

    public ValueTask<SignedDataUseAudit?> AuditAsync(string dataUseId, CancellationToken cancellationToken = default) =>
        AuditCoreAsync(dataUseId, null, cancellationToken);

    public ValueTask<SignedDataUseAudit?> AuditAnchoredAsync(string dataUseId, ConsentChainHead anchor, CancellationToken cancellationToken = default) =>
        AuditCoreAsync(dataUseId, anchor ?? throw new ArgumentNullException(nameof(anchor)), cancellationToken);

    private async ValueTask<SignedDataUseAudit?> AuditCoreAsync(string dataUseId, ConsentChainHead? anchor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataUseId);
        var uses = ledger ?? throw new InvalidOperationException("No data-use ledger is registered: the store does not keep one.");
        if (await uses.GetAsync(dataUseId, cancellationToken) is not { } use)
        {
            return null;
        }

        var included = await uses.GetSubjectsAsync(dataUseId, cancellationToken);
        var verification = await verifier.VerifyAsync(anchor, cancellationToken);
        var grantsBySequence = included.ToDictionary(s => s.ConsentSequence, _ => (ConsentChainEntry?)null);
        var validGrant = new Dictionary<long, bool>();
        var newestNoticeBefore = new Dictionary<string, (long Ticks, string Version)>(StringComparer.Ordinal);
        var startTicks = use.StartedAt.UtcTicks;

        // First pass: the grants the ledger names, each hash checked against its predecessor's.
        var previousHash = ConsentChain.GenesisHash;
        await foreach (var entry in ReadChainAsync(cancellationToken))
        {
            if (grantsBySequence.ContainsKey(entry.Sequence))
            {
                grantsBySequence[entry.Sequence] = entry;
                validGrant[entry.Sequence] = ConsentChain.HasValidHash(entry, previousHash.Span);
            }

            if (entry.Status == ConsentStatus.Granted && entry.RecordedAtUtcTicks <= startTicks
                && (!newestNoticeBefore.TryGetValue(entry.PurposeId, out var newest) || entry.RecordedAtUtcTicks >= newest.Ticks))
            {
                newestNoticeBefore[entry.PurposeId] = (entry.RecordedAtUtcTicks, entry.NoticeVersion);
            }

            previousHash = entry.Hash;
        }

        // Second pass: every record of those subjects (before and after their grant), by subject key.
        var bySubjectKey = new Dictionary<string, List<ConsentChainEntry>>(StringComparer.Ordinal);
        foreach (var grant in grantsBySequence.Values)
        {
            if (grant is not null)
            {
                bySubjectKey.TryAdd(Convert.ToHexStringLower(grant.SubjectKey.Span), []);
            }
        }

        await foreach (var entry in ReadChainAsync(cancellationToken))
        {
            if (bySubjectKey.TryGetValue(Convert.ToHexStringLower(entry.SubjectKey.Span), out var entries))
            {
                entries.Add(entry);
            }
        }

        var noticesAtStart = newestNoticeBefore.ToDictionary(kv => kv.Key, kv => kv.Value.Version, StringComparer.Ordinal);
        var subjects = included.Select(s =>
        {
            var grant = grantsBySequence[s.ConsentSequence];
            var history = grant is null ? [] : bySubjectKey[Convert.ToHexStringLower(grant.SubjectKey.Span)];
            return new DataUseAuditSubject
            {
                SubjectId = s.SubjectId,
                ConsentSequence = s.ConsentSequence,
                Finding = grant is null ? DataUseAuditFinding.GrantMissing : Judge(use, grant, validGrant[grant.Sequence], history, noticesAtStart),
                WithdrawnSince = grant is null ? null : history
                    .Where(e => e.Sequence > grant.Sequence && e.Status != ConsentStatus.Granted && e.RecordedAtUtcTicks >= startTicks && Covers(e.PurposeId, use.PurposeId, grant.PurposeId))
                    .Select(e => new DataUseAuditWithdrawal
                    {
                        Sequence = e.Sequence,
                        PurposeId = e.PurposeId,
                        Status = ConsentVocabulary.NameOf(e.Status),
                        RecordedAt = new DateTimeOffset(e.RecordedAtUtcTicks, TimeSpan.Zero),
                    })
                    .FirstOrDefault(),
            };
        }).ToList();

        var audit = new DataUseAudit
        {
            SchemaVersion = DataUseAudit.CurrentSchemaVersion,
            DataUse = use,
            AuditedAt = timeProvider.GetUtcNow(),
            HistoryVerified = verification.IsValid,
            HistoryVerification = verification.ToString(),
            HistoryAnchor = anchor?.ToString(),
            Subjects = subjects,
        };
        return new SignedDataUseAudit { Token = signer.Sign(JsonSerializer.Serialize(audit, ConsentReceiptService.Json), "consent-audit+jwt"), Audit = audit };
    }

    private async IAsyncEnumerable<ConsentChainEntry> ReadChainAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (long after = 0; ;)
        {
            var page = await store.GetChainAsync(after, PageSize, cancellationToken);
            foreach (var entry in page)
            {
                yield return entry;
                after = entry.Sequence;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// The ledger's grant is checked for what only the audit can see (its hash, its kind, its purpose, its time);
    /// whether it allowed the purpose at the run's start is the decision service's answer at that instant.
    /// </summary>
    private DataUseAuditFinding Judge(
        DataUse use, ConsentChainEntry grant, bool unaltered, List<ConsentChainEntry> history, IReadOnlyDictionary<string, string> noticesAtStart)
    {
        if (!unaltered)
        {
            return DataUseAuditFinding.GrantAltered;
        }

        if (grant.Status != ConsentStatus.Granted || !grant.Method.IsExplicitSubjectAct())
        {
            return DataUseAuditFinding.NotAnExplicitGrant;
        }

        if (!ConsentPurposeId.IsSelfOrDescendant(use.PurposeId, grant.PurposeId))
        {
            return DataUseAuditFinding.WrongPurpose;
        }

        if (grant.RecordedAtUtcTicks > use.StartedAt.UtcTicks)
        {
            return DataUseAuditFinding.GrantedAfterStart;
        }

        var decision = pastDecisions.DecideAt(history.Select(AsRecord).OfType<ConsentRecord>(), use.PurposeId, use.StartedAt, noticesAtStart);
        return decision.Reason switch
        {
            ConsentDecisionReason.Granted => DataUseAuditFinding.ValidAtStart,
            ConsentDecisionReason.Expired => DataUseAuditFinding.ExpiredAtStart,
            ConsentDecisionReason.Refused or ConsentDecisionReason.Withdrawn => DataUseAuditFinding.WithdrawnBeforeStart,
            ConsentDecisionReason.NoticeOutdated => DataUseAuditFinding.NoticeOutdatedAtStart,

            // No record that covers the purpose (a parent's grant that does not cover it), or a purpose no longer registered.
            _ => DataUseAuditFinding.WrongPurpose,
        };
    }

    /// <summary>A chain entry as the record it is; <see langword="null"/> for one no store could have written (a grant not by the subject), which verification reports.</summary>
    private static ConsentRecord? AsRecord(ConsentChainEntry entry)
    {
        if (entry.Status == ConsentStatus.Granted && !entry.Method.IsExplicitSubjectAct())
        {
            return null;
        }

        // The decision reads purposes, statuses, notices, times and sequences, never the id: a fixed one serves.
        try
        {
            return new ConsentRecord(entry.Sequence, new NewConsentRecord(
                "audited-subject", entry.PurposeId, entry.Status, entry.NoticeVersion, new DateTimeOffset(entry.RecordedAtUtcTicks, TimeSpan.Zero),
                entry.ExpiresAtUtcTicks is { } expires ? new DateTimeOffset(expires, TimeSpan.Zero) : null, entry.Method, entry.Source));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    // A withdrawal or refusal counts if it is for the granted purpose, the used one, or an ancestor of either.
    private static bool Covers(string recordPurpose, string usedPurpose, string grantedPurpose) =>
        ConsentPurposeId.IsSelfOrDescendant(usedPurpose, recordPurpose) || ConsentPurposeId.IsSelfOrDescendant(grantedPurpose, recordPurpose);
}
