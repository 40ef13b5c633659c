using System.Data.Common;

namespace ConsentKit.Storage;

/// <summary>
/// The SQL stores' rows read back into ConsentKit's types, shared as source by ConsentKit.Sqlite and
/// ConsentKit.PostgreSql (their readers are both <see cref="DbDataReader"/>s) so the two map one way.
/// </summary>
internal static class StoredRows
{
    /// <summary>The columns after <see cref="ReadRecord"/>'s first 14 that let it check the row: the record's chain fields and its subject's registration.</summary>
    public const string CheckColumns =
        "e.previous_sequence, e.previous_hash, e.hash, l.sequence, l.payload, l.previous_hash, l.hash";

    /// <summary>
    /// A record, from the columns (in this order): sequence, subject id (NULL once erased), purpose, status,
    /// notice version, recorded at, expires at, method, source, sealed metadata, the subject's secret,
    /// subject key, length of the sealed metadata, notice digest, then <see cref="CheckColumns"/>.
    /// </summary>
    /// <remarks>
    /// Every record read is checked before anything is decided from it: its hash is recomputed from its
    /// fields and the previous hash stored with it, and the registry row that named its subject must be
    /// the one the proof log registered (checked once per subject per read, in <paramref name="checkedSubjects"/>).
    /// A row that fails throws <see cref="ConsentStoreIntegrityException"/>: the read fails, the gate denies.
    /// </remarks>
    public static ConsentRecord ReadRecord(DbDataReader reader, HashSet<string> checkedSubjects)
    {
        var sequence = reader.GetInt64(0);
        var key = reader.GetFieldValue<byte[]>(11);
        var recordedAt = ToTime(reader.GetInt64(5));
        var expiresAt = reader.IsDBNull(6) ? (DateTimeOffset?)null : ToTime(reader.GetInt64(6));
        var source = reader.IsDBNull(8) ? null : reader.GetString(8);
        var status = (ConsentStatus)reader.GetInt32(3);
        var method = (ConsentMethod)reader.GetInt32(7);
        var sealedMetadata = reader.GetFieldValue<byte[]>(9);
        var digest = reader.GetFieldValue<byte[]>(13);
        var previousSequence = reader.GetInt64(14);
        var previousHash = reader.IsDBNull(15) ? [] : reader.GetFieldValue<byte[]>(15);
        var hash = reader.GetFieldValue<byte[]>(16);
        ConsentChain.CheckStoredEntry(
            new ConsentChainEntry
            {
                Sequence = sequence,
                PreviousSequence = previousSequence,
                SubjectKey = key,
                PurposeId = reader.GetString(2),
                Status = status,
                NoticeVersion = reader.GetString(4),
                NoticeDigest = digest,
                RecordedAtUtcTicks = recordedAt.UtcTicks,
                ExpiresAtUtcTicks = expiresAt?.UtcTicks,
                Method = method,
                Source = source,
                SealedMetadata = sealedMetadata,
                Hash = hash,
            },
            previousHash);
        if (reader.IsDBNull(1))
        {
            var erased = new NewConsentRecord(ConsentRecord.ErasedSubjectId(key), reader.GetString(2), status, reader.GetString(4), recordedAt, expiresAt, method, source);
            return new ConsentRecord(sequence, erased, key, isSubjectErased: true)
            {
                NoticeDigest = digest, Hash = hash, PreviousHash = previousHash, PreviousSequence = previousSequence,
            };
        }

        var subjectId = reader.GetString(1);
        var secret = reader.GetFieldValue<byte[]>(10);
        if (!checkedSubjects.Contains(subjectId))
        {
            ConsentProofLog.CheckRegistration(subjectId, key, secret, ReadRegistration(reader, 17), sequence);
            checkedSubjects.Add(subjectId);
        }

        // Most records carry no metadata: the secret only opens something when there is something (a scan
        // passes length 0: it decides, it does not display).
        var metadata = reader.GetInt64(12) == 0 ? null : ConsentSubjectSecrets.Open(sealedMetadata, secret);
        var record = new NewConsentRecord(subjectId, reader.GetString(2), status, reader.GetString(4), recordedAt, expiresAt, method, source, metadata);
        return new ConsentRecord(sequence, record, key) { NoticeDigest = digest, Hash = hash, PreviousHash = previousHash, PreviousSequence = previousSequence };
    }

    /// <summary>A subject's registration entry from four columns (sequence, payload, previous hash, hash), or <see langword="null"/> when they are NULL.</summary>
    public static ConsentProofEntry? ReadRegistration(DbDataReader reader, int first) =>
        reader.IsDBNull(first)
            ? null
            : new ConsentProofEntry
            {
                Sequence = reader.GetInt64(first),
                Kind = ConsentProofEntryKind.SubjectRegistered,
                Payload = reader.GetFieldValue<byte[]>(first + 1),
                PreviousHash = reader.GetFieldValue<byte[]>(first + 2),
                Hash = reader.GetFieldValue<byte[]>(first + 3),
            };

    /// <summary>A proof-log entry from the columns (in this order): sequence, kind, payload, previous hash, hash.</summary>
    public static ConsentProofEntry ReadProofEntry(DbDataReader reader) => new()
    {
        Sequence = reader.GetInt64(0),
        Kind = (ConsentProofEntryKind)reader.GetInt32(1),
        Payload = reader.GetFieldValue<byte[]>(2),
        PreviousHash = reader.GetFieldValue<byte[]>(3),
        Hash = reader.GetFieldValue<byte[]>(4),
    };

    /// <summary>
    /// A chain entry, from the columns (in this order): sequence, previous sequence, subject key, purpose,
    /// status, notice version, notice digest, recorded at, expires at, method, source, sealed metadata, hash.
    /// </summary>
    public static ConsentChainEntry ReadChainEntry(DbDataReader reader) => new()
    {
        Sequence = reader.GetInt64(0),
        PreviousSequence = reader.GetInt64(1),
        SubjectKey = reader.GetFieldValue<byte[]>(2),
        PurposeId = reader.GetString(3),
        Status = (ConsentStatus)reader.GetInt32(4),
        NoticeVersion = reader.GetString(5),
        NoticeDigest = reader.GetFieldValue<byte[]>(6),
        RecordedAtUtcTicks = reader.GetInt64(7),
        ExpiresAtUtcTicks = reader.IsDBNull(8) ? null : reader.GetInt64(8),
        Method = (ConsentMethod)reader.GetInt32(9),
        Source = reader.IsDBNull(10) ? null : reader.GetString(10),
        SealedMetadata = reader.GetFieldValue<byte[]>(11),
        Hash = reader.GetFieldValue<byte[]>(12),
    };

    /// <summary>
    /// A data use, from the columns (in this order): id, purpose, description, started at, ended at, status,
    /// subject count, items seen, items kept, failure reason.
    /// </summary>
    public static DataUse ReadDataUse(DbDataReader reader) => new()
    {
        Id = reader.GetString(0),
        PurposeId = reader.GetString(1),
        Description = reader.GetString(2),
        StartedAt = ToTime(reader.GetInt64(3)),
        EndedAt = reader.IsDBNull(4) ? null : ToTime(reader.GetInt64(4)),
        Status = (DataUseStatus)reader.GetInt32(5),
        SubjectCount = reader.GetInt64(6),
        ItemsSeen = reader.IsDBNull(7) ? null : reader.GetInt64(7),
        ItemsKept = reader.IsDBNull(8) ? null : reader.GetInt64(8),
        FailureReason = reader.IsDBNull(9) ? null : reader.GetString(9),
    };

    /// <summary>The chain's columns in <see cref="ReadChainEntry"/>'s order.</summary>
    public const string ChainColumns =
        "sequence, previous_sequence, subject_key, purpose_id, status, notice_version, notice_digest, recorded_at, expires_at, method, source, metadata, hash";

    // UTC ticks: an exact round trip at 100 ns, and no text parsing on bulk reads (measured: parsing ISO
    // 8601 cost more than the row lookup). The views consent_events_readable show them as times.
    public static DateTimeOffset ToTime(long utcTicks) => new(utcTicks, TimeSpan.Zero);
}
