namespace ConsentKit.Receipts;

/// <summary>
/// For one data use (a training-set build), whether every included subject had a valid explicit grant when
/// it started — present, unaltered, not expired, not withdrawn before the run, under the notice current
/// then — and who has withdrawn since.
/// </summary>
public sealed class DataUseAudit
{
    /// <summary>The audit format's version.</summary>
    public const string CurrentSchemaVersion = "consentkit-audit/1";

    /// <summary>The audit format: <see cref="CurrentSchemaVersion"/>.</summary>
    public required string SchemaVersion { get; init; }

    /// <summary>The data use audited.</summary>
    public required DataUse DataUse { get; init; }

    /// <summary>When the audit ran.</summary>
    public required DateTimeOffset AuditedAt { get; init; }

    /// <summary>The store's whole history verified (<see cref="ConsentHistoryVerifier"/>): nothing was changed, moved, inserted or deleted.</summary>
    public required bool HistoryVerified { get; init; }

    /// <summary>The verifier's result in words, e.g. <c>valid: 1234 records, head …</c>.</summary>
    public required string HistoryVerification { get; init; }

    /// <summary>
    /// The anchored head the history was verified against (<see cref="ConsentChainHead.ToString"/>), or
    /// <see langword="null"/> when none was given: then records cut off the end, or a tail rewritten with
    /// recomputed hashes, could not be detected, and the summary says so.
    /// </summary>
    public string? HistoryAnchor { get; init; }

    /// <summary>One line per included subject, in grant order.</summary>
    public required IReadOnlyList<DataUseAuditSubject> Subjects { get; init; }

    /// <summary>How many subjects were included.</summary>
    public int Included => Subjects.Count;

    /// <summary>How many had a valid grant at the run's start.</summary>
    public int ValidAtStart => Subjects.Count(s => s.Finding == DataUseAuditFinding.ValidAtStart);

    /// <summary>How many have withdrawn (or refused) since the run started.</summary>
    public int WithdrawnSince => Subjects.Count(s => s.WithdrawnSince is not null);

    /// <summary>Whether the data use is fully backed: history verified and every subject valid at the start.</summary>
    public bool Passed => HistoryVerified && ValidAtStart == Included;

    /// <summary>A readable summary, a few lines long.</summary>
    public string Summary =>
        $"Data use {DataUse.Id} ({DataUse.Description}), purpose {DataUse.PurposeId}, started {DataUse.StartedAt:u}: " +
        $"{Included} subjects included; {ValidAtStart} with a valid explicit grant at the start" +
        (Included - ValidAtStart > 0 ? $", {Included - ValidAtStart} NOT ({string.Join(", ", Subjects.Where(s => s.Finding != DataUseAuditFinding.ValidAtStart).GroupBy(s => s.Finding).Select(g => $"{g.Count()} {g.Key}"))})" : string.Empty) +
        $". History {(HistoryVerified ? "verified" : "NOT verified: " + HistoryVerification)}" +
        (HistoryVerified ? HistoryAnchor is null ? " without an anchor (" + ConsentVerificationResult.NoAnchorCaveat + ")" : " against anchored head " + HistoryAnchor : string.Empty) + ". " +
        $"{WithdrawnSince} withdrawn since{(WithdrawnSince > 0 ? ": " + string.Join(", ", Subjects.Where(s => s.WithdrawnSince is not null).Select(s => $"{s.SubjectId} (#{s.WithdrawnSince!.Sequence}, {s.WithdrawnSince.RecordedAt:u})")) : string.Empty)}." +
        (Passed ? " PASSED." : " FAILED.");
}

/// <summary>What the audit found for one subject's grant.</summary>
public enum DataUseAuditFinding
{
    /// <summary>A valid explicit grant at the run's start.</summary>
    ValidAtStart = 0,

    /// <summary>The store has no record with the grant's sequence.</summary>
    GrantMissing = 1,

    /// <summary>The grant's record does not match its chain hash: it was changed.</summary>
    GrantAltered = 2,

    /// <summary>The record is not a grant by the subject's own act.</summary>
    NotAnExplicitGrant = 3,

    /// <summary>The grant is for a purpose that does not cover the data use's.</summary>
    WrongPurpose = 4,

    /// <summary>The grant was recorded after the run started.</summary>
    GrantedAfterStart = 5,

    /// <summary>The grant had expired when the run started.</summary>
    ExpiredAtStart = 6,

    /// <summary>A withdrawal or refusal came between the grant and the run's start.</summary>
    WithdrawnBeforeStart = 7,

    /// <summary>A newer notice version had been granted under before the run started: the grant's notice was outdated.</summary>
    NoticeOutdatedAtStart = 8,
}

/// <summary>One included subject in an audit.</summary>
public sealed class DataUseAuditSubject
{
    /// <summary>The subject (<c>erased:…</c> for one erased since).</summary>
    public required string SubjectId { get; init; }

    /// <summary>The grant's sequence, as the ledger recorded it.</summary>
    public required long ConsentSequence { get; init; }

    /// <summary>What the audit found.</summary>
    public required DataUseAuditFinding Finding { get; init; }

    /// <summary>The first withdrawal or refusal after the run started, if any.</summary>
    public DataUseAuditWithdrawal? WithdrawnSince { get; init; }
}

/// <summary>A withdrawal (or refusal) in an audit.</summary>
public sealed class DataUseAuditWithdrawal
{
    /// <summary>Its sequence.</summary>
    public required long Sequence { get; init; }

    /// <summary>Its purpose.</summary>
    public required string PurposeId { get; init; }

    /// <summary><c>withdrawn</c> or <c>refused</c>.</summary>
    public required string Status { get; init; }

    /// <summary>When.</summary>
    public required DateTimeOffset RecordedAt { get; init; }
}

/// <summary>A signed audit: the compact JWS (ES256, the receipts' key) and what it says.</summary>
public sealed class SignedDataUseAudit
{
    /// <summary>The compact JWS over the audit's JSON.</summary>
    public required string Token { get; init; }

    /// <summary>The audit.</summary>
    public required DataUseAudit Audit { get; init; }
}

/// <summary>Audits data uses against the consent history.</summary>
public interface IDataUseAuditor
{
    /// <summary>Audits one data use; <see langword="null"/> when the ledger has no such use.</summary>
    /// <param name="dataUseId">The data use, e.g. a training-set build's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="InvalidOperationException">No data-use ledger is registered.</exception>
    /// <exception cref="ConsentStoreException">The store failed.</exception>
    ValueTask<SignedDataUseAudit?> AuditAsync(string dataUseId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Audits one data use, verifying the history against a head anchored earlier (so records cut off the end
    /// or a rewritten tail fail the audit); <see langword="null"/> when the ledger has no such use.
    /// </summary>
    /// <param name="dataUseId">The data use, e.g. a training-set build's id.</param>
    /// <param name="anchor">A head exported and kept outside the database earlier (<see cref="IConsentHeadAnchor"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="InvalidOperationException">No data-use ledger is registered.</exception>
    /// <exception cref="ConsentStoreException">The store failed.</exception>
    ValueTask<SignedDataUseAudit?> AuditAnchoredAsync(string dataUseId, ConsentChainHead anchor, CancellationToken cancellationToken = default);
}
