namespace ConsentKit;

/// <summary>Shared pieces of crypto-shredding erasure, for store implementers.</summary>
public static class ConsentErasure
{
    /// <summary>The source recorded on the withdrawals an erasure closes open grants with.</summary>
    public const string Source = "erasure";

    /// <summary>The withdrawal an erasure records for a purpose the subject has granted still.</summary>
    /// <param name="granted">The subject's current grant.</param>
    /// <param name="erasedAt">When the subject was erased.</param>
    public static NewConsentRecord ClosingWithdrawal(ConsentRecord granted, DateTimeOffset erasedAt)
    {
        ArgumentNullException.ThrowIfNull(granted);
        return new NewConsentRecord(
            granted.SubjectId,
            granted.PurposeId,
            ConsentStatus.Withdrawn,
            granted.NoticeVersion,
            erasedAt < granted.RecordedAt ? granted.RecordedAt : erasedAt,
            expiresAt: null,
            ConsentMethod.Operator,
            Source);
    }

    /// <summary>
    /// A stored record as it reads once its subject is erased: <see cref="ConsentRecord.ErasedSubjectId"/> of
    /// its key as the subject id, no metadata, <see cref="ConsentRecord.IsSubjectErased"/> set.
    /// </summary>
    /// <param name="sequence">The sequence.</param>
    /// <param name="subjectKey">The subject's pseudonymous key.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="status">What the record says.</param>
    /// <param name="noticeVersion">The notice version.</param>
    /// <param name="recordedAt">When it was recorded.</param>
    /// <param name="expiresAt">When a grant stops being valid.</param>
    /// <param name="method">How it was expressed.</param>
    /// <param name="source">Where it was expressed.</param>
    public static ConsentRecord ErasedRecord(
        long sequence,
        ReadOnlyMemory<byte> subjectKey,
        string purposeId,
        ConsentStatus status,
        string noticeVersion,
        DateTimeOffset recordedAt,
        DateTimeOffset? expiresAt,
        ConsentMethod method,
        string? source) =>
        new(
            sequence,
            new NewConsentRecord(ConsentRecord.ErasedSubjectId(subjectKey.Span), purposeId, status, noticeVersion, recordedAt, expiresAt, method, source),
            subjectKey,
            isSubjectErased: true);

    internal static ConsentRecord Erased(ConsentRecord record, string erasedId) =>
        new(
            record.Sequence,
            new NewConsentRecord(erasedId, record.PurposeId, record.Status, record.NoticeVersion, record.RecordedAt, record.ExpiresAt, record.Method, record.Source),
            record.SubjectKey,
            isSubjectErased: true)
        {
            NoticeDigest = record.NoticeDigest,
            Hash = record.Hash,
            PreviousHash = record.PreviousHash,
            PreviousSequence = record.PreviousSequence,
        };
}
