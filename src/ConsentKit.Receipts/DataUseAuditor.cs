using System.Text.Json;

namespace ConsentKit.Receipts;

/// <summary>
/// The default <see cref="IDataUseAuditor"/>: one pass over the store's chain, oldest first. A grant's
/// later records are found by its subject key, so subjects erased since are audited too.
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
    TimeProvider timeProvider) : IDataUseAuditor
{
    private const int PageSize = 2_000;

    public async ValueTask<SignedDataUseAudit?> AuditAsync(string dataUseId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataUseId);
        var uses = ledger ?? throw new InvalidOperationException("No data-use ledger is registered: the store does not keep one.");
        if (await uses.GetAsync(dataUseId, cancellationToken) is not { } use)
        {
            return null;
        }

        var included = await uses.GetSubjectsAsync(dataUseId, cancellationToken);
        var verification = await verifier.VerifyAsync(cancellationToken: cancellationToken);
        var grantsBySequence = included.ToDictionary(s => s.ConsentSequence, _ => (ConsentChainEntry?)null);
        var validGrant = new Dictionary<long, bool>();
        var laterBySubjectKey = new Dictionary<string, List<ConsentChainEntry>>(StringComparer.Ordinal);
        var newestNoticeBefore = new Dictionary<string, (long Ticks, string Version)>(StringComparer.Ordinal);
        var startTicks = use.StartedAt.UtcTicks;

        var previousHash = ConsentChain.GenesisHash;
        for (long after = 0; ;)
        {
            var page = await store.GetChainAsync(after, PageSize, cancellationToken);
            foreach (var entry in page)
            {
                var key = Convert.ToHexStringLower(entry.SubjectKey.Span);
                if (grantsBySequence.ContainsKey(entry.Sequence))
                {
                    grantsBySequence[entry.Sequence] = entry;
                    validGrant[entry.Sequence] = ConsentChain.HasValidHash(entry, previousHash.Span);
                    laterBySubjectKey.TryAdd(key, []);
                }
                else if (laterBySubjectKey.TryGetValue(key, out var later))
                {
                    later.Add(entry);
                }

                if (entry.Status == ConsentStatus.Granted && entry.RecordedAtUtcTicks <= startTicks
                    && (!newestNoticeBefore.TryGetValue(entry.PurposeId, out var newest) || entry.RecordedAtUtcTicks >= newest.Ticks))
                {
                    newestNoticeBefore[entry.PurposeId] = (entry.RecordedAtUtcTicks, entry.NoticeVersion);
                }

                previousHash = entry.Hash;
                after = entry.Sequence;
            }

            if (page.Count < PageSize)
            {
                break;
            }
        }

        var subjects = included.Select(s =>
        {
            var grant = grantsBySequence[s.ConsentSequence];
            var later = grant is null ? [] : laterBySubjectKey[Convert.ToHexStringLower(grant.SubjectKey.Span)].Where(e => e.Sequence > grant.Sequence).ToList();
            return new DataUseAuditSubject
            {
                SubjectId = s.SubjectId,
                ConsentSequence = s.ConsentSequence,
                Finding = grant is null ? DataUseAuditFinding.GrantMissing : Judge(use, grant, validGrant[grant.Sequence], later, newestNoticeBefore),
                WithdrawnSince = grant is null ? null : later
                    .Where(e => e.Status != ConsentStatus.Granted && e.RecordedAtUtcTicks >= startTicks && Covers(e.PurposeId, use.PurposeId, grant.PurposeId))
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
            Subjects = subjects,
        };
        return new SignedDataUseAudit { Token = signer.Sign(JsonSerializer.Serialize(audit, ConsentReceiptService.Json), "consent-audit+jwt"), Audit = audit };
    }

    private static DataUseAuditFinding Judge(
        DataUse use, ConsentChainEntry grant, bool unaltered, List<ConsentChainEntry> later, Dictionary<string, (long Ticks, string Version)> newestNoticeBefore)
    {
        var start = use.StartedAt.UtcTicks;
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

        if (grant.RecordedAtUtcTicks > start)
        {
            return DataUseAuditFinding.GrantedAfterStart;
        }

        if (grant.ExpiresAtUtcTicks is { } expires && expires <= start)
        {
            return DataUseAuditFinding.ExpiredAtStart;
        }

        if (later.Any(e => e.Status != ConsentStatus.Granted && e.RecordedAtUtcTicks <= start && Covers(e.PurposeId, use.PurposeId, grant.PurposeId)))
        {
            return DataUseAuditFinding.WithdrawnBeforeStart;
        }

        return newestNoticeBefore.TryGetValue(grant.PurposeId, out var newest) && newest.Version != grant.NoticeVersion
            ? DataUseAuditFinding.NoticeOutdatedAtStart
            : DataUseAuditFinding.ValidAtStart;
    }

    // A withdrawal or refusal counts if it is for the granted purpose, the used one, or an ancestor of either.
    private static bool Covers(string recordPurpose, string usedPurpose, string grantedPurpose) =>
        ConsentPurposeId.IsSelfOrDescendant(usedPurpose, recordPurpose) || ConsentPurposeId.IsSelfOrDescendant(grantedPurpose, recordPurpose);
}
