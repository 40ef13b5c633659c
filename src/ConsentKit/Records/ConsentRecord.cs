namespace ConsentKit;

/// <summary>
/// One immutable consent event as stored: a <see cref="NewConsentRecord"/> plus the sequence the store assigned.
/// </summary>
/// <remarks>
/// Records are never updated or deleted. The current state of a (subject, purpose) pair is its record
/// with the highest <see cref="Sequence"/>.
/// </remarks>
public sealed class ConsentRecord
{
    /// <summary>Creates a stored record.</summary>
    /// <param name="sequence">The store-assigned sequence; positive and increasing in append order.</param>
    /// <param name="record">The fields of the record.</param>
    public ConsentRecord(long sequence, NewConsentRecord record)
        : this(sequence, record, ReadOnlyMemory<byte>.Empty)
    {
    }

    /// <summary>Creates a stored record with the pseudonymous key its store's chain hashes.</summary>
    /// <param name="sequence">The store-assigned sequence; positive and increasing in append order.</param>
    /// <param name="record">The fields of the record.</param>
    /// <param name="subjectKey">The subject's pseudonymous key in the store (see <see cref="ConsentChainEntry.SubjectKey"/>).</param>
    /// <param name="isSubjectErased">
    /// Whether the subject has been erased: <paramref name="record"/> then carries <see cref="ErasedSubjectId"/>
    /// of the key as its subject id and no metadata.
    /// </param>
    public ConsentRecord(long sequence, NewConsentRecord record, ReadOnlyMemory<byte> subjectKey, bool isSubjectErased = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        ArgumentNullException.ThrowIfNull(record);
        Sequence = sequence;
        SubjectId = record.SubjectId;
        PurposeId = record.PurposeId;
        Status = record.Status;
        NoticeVersion = record.NoticeVersion;
        RecordedAt = record.RecordedAt;
        ExpiresAt = record.ExpiresAt;
        Method = record.Method;
        Source = record.Source;
        Metadata = record.Metadata;
        SubjectKey = subjectKey;
        IsSubjectErased = isSubjectErased;
    }

    /// <summary>The store-assigned sequence: positive, unique, increasing in append order.</summary>
    public long Sequence { get; }

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

    /// <summary>A short label of where it was expressed.</summary>
    public string? Source { get; }

    /// <summary>Small optional key/value evidence; empty when none was given.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The subject's pseudonymous key in the store; empty when the store keeps none.</summary>
    public ReadOnlyMemory<byte> SubjectKey { get; }

    /// <summary>
    /// Whether the subject has been erased: the record still exists and verifies, but nothing links it to
    /// the person any more; <see cref="SubjectId"/> is then <see cref="ErasedSubjectId"/> of the key.
    /// </summary>
    public bool IsSubjectErased { get; }

    /// <summary>
    /// The digest of the kept notice text the record was made under (<see cref="ConsentNotice.Digest"/>),
    /// as hashed into the chain; empty, or 32 zero bytes, when no text was kept for that version.
    /// </summary>
    public ReadOnlyMemory<byte> NoticeDigest { get; init; }

    /// <summary>The record's hash in the store's chain, when the store read it with its chain fields; empty otherwise.</summary>
    public ReadOnlyMemory<byte> Hash { get; init; }

    /// <summary>The hash of the record before it in the store's chain, as stored with this record; empty when not read.</summary>
    public ReadOnlyMemory<byte> PreviousHash { get; init; }

    /// <summary>The sequence of the record before it in the store's chain (<c>0</c> for the first, or when not read).</summary>
    public long PreviousSequence { get; init; }

    /// <summary>The placeholder subject id of a record whose subject was erased: <c>erased:</c> and the key in hex.</summary>
    /// <param name="subjectKey">The pseudonymous key.</param>
    public static string ErasedSubjectId(ReadOnlySpan<byte> subjectKey) => "erased:" + Convert.ToHexStringLower(subjectKey);

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {PurposeId} {Status} (notice {NoticeVersion}, {Method})";
}
