using System.Collections.ObjectModel;

namespace ConsentKit.Storage;

/// <summary>
/// A consent record about to be appended to a store: everything but the sequence the store assigns.
/// </summary>
/// <remarks>
/// Opt-in by construction: a <see cref="ConsentStatus.Granted"/> record can only be made with a method
/// that is the subject's own explicit act (<see cref="ConsentMethodExtensions.IsExplicitSubjectAct"/>).
/// Operators, imports and privacy signals can refuse or withdraw, never grant.
/// </remarks>
public sealed class NewConsentRecord
{
    private static readonly IReadOnlyDictionary<string, string> EmptyMetadata =
        new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>Creates a record, checking every field.</summary>
    /// <param name="subjectId">Whose data the record is about.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="status">What the record says.</param>
    /// <param name="noticeVersion">The notice version the subject was shown.</param>
    /// <param name="recordedAt">When it was recorded.</param>
    /// <param name="expiresAt">When a grant stops being valid; <see langword="null"/> for never.</param>
    /// <param name="method">How it was expressed.</param>
    /// <param name="source">A short label of where it was expressed, e.g. <c>settings-page</c>.</param>
    /// <param name="metadata">Small optional key/value evidence.</param>
    /// <exception cref="ArgumentException">A field is malformed, or a grant is not the subject's explicit act.</exception>
    public NewConsentRecord(
        string subjectId,
        string purposeId,
        ConsentStatus status,
        string noticeVersion,
        DateTimeOffset recordedAt,
        DateTimeOffset? expiresAt,
        ConsentMethod method,
        string? source = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        ArgumentNullException.ThrowIfNull(purposeId);
        if (!ConsentPurposeId.IsValid(purposeId))
        {
            throw new ArgumentException($"'{purposeId}' is not a valid purpose id.", nameof(purposeId));
        }

        if (!Enum.IsDefined(status))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown consent status.");
        }

        if (!Enum.IsDefined(method))
        {
            throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown consent method.");
        }

        if (status == ConsentStatus.Granted && !method.IsExplicitSubjectAct())
        {
            throw new ArgumentException(
                $"A grant must be the subject's own explicit act; '{method}' can only refuse or withdraw.", nameof(method));
        }

        ConsentRecordRules.ValidateNoticeVersion(noticeVersion, nameof(noticeVersion));
        ConsentRecordRules.ValidateSource(source, nameof(source));
        ConsentRecordRules.ValidateMetadata(metadata, nameof(metadata));
        if (expiresAt is { } expiry && expiry < recordedAt)
        {
            throw new ArgumentException("The expiry must not be before the time recorded.", nameof(expiresAt));
        }

        SubjectId = subjectId;
        PurposeId = purposeId;
        Status = status;
        NoticeVersion = noticeVersion;
        RecordedAt = recordedAt;
        ExpiresAt = expiresAt;
        Method = method;
        Source = source;
        Metadata = metadata is null || metadata.Count == 0
            ? EmptyMetadata
            : new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(metadata, StringComparer.Ordinal));
    }

    /// <summary>Whose data the record is about.</summary>
    public string SubjectId { get; }

    /// <summary>The purpose.</summary>
    public string PurposeId { get; }

    /// <summary>What the record says.</summary>
    public ConsentStatus Status { get; }

    /// <summary>The notice version the subject was shown.</summary>
    public string NoticeVersion { get; }

    /// <summary>When it was recorded.</summary>
    public DateTimeOffset RecordedAt { get; }

    /// <summary>When a grant stops being valid; <see langword="null"/> for never.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>How it was expressed.</summary>
    public ConsentMethod Method { get; }

    /// <summary>A short label of where it was expressed, e.g. <c>settings-page</c>.</summary>
    public string? Source { get; }

    /// <summary>Small optional key/value evidence; empty when none was given.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
}
