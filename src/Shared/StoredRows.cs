using System.Data.Common;

namespace ConsentKit.Storage;

/// <summary>
/// The SQL stores' rows read back into ConsentKit's types, shared as source by ConsentKit.Sqlite and
/// ConsentKit.PostgreSql (their readers are both <see cref="DbDataReader"/>s) so the two map one way.
/// </summary>
internal static class StoredRows
{
    /// <summary>
    /// A record, from the columns (in this order): sequence, subject id (NULL once erased), purpose, status,
    /// notice version, recorded at, expires at, method, source, sealed metadata, the subject's secret,
    /// subject key, length of the sealed metadata, notice digest.
    /// </summary>
    public static ConsentRecord ReadRecord(DbDataReader reader)
    {
        var sequence = reader.GetInt64(0);
        var key = reader.GetFieldValue<byte[]>(11);
        var recordedAt = ToTime(reader.GetInt64(5));
        var expiresAt = reader.IsDBNull(6) ? (DateTimeOffset?)null : ToTime(reader.GetInt64(6));
        var source = reader.IsDBNull(8) ? null : reader.GetString(8);
        var status = (ConsentStatus)reader.GetInt32(3);
        var method = (ConsentMethod)reader.GetInt32(7);
        if (reader.IsDBNull(1))
        {
            return ConsentErasure.ErasedRecord(sequence, key, reader.GetString(2), status, reader.GetString(4), recordedAt, expiresAt, method, source);
        }

        // Most records carry no metadata: the subject's secret is only read when there is something to open.
        var metadata = reader.GetInt64(12) == 0
            ? null
            : ConsentSubjectSecrets.Open(reader.GetFieldValue<byte[]>(9), reader.GetFieldValue<byte[]>(10));
        var record = new NewConsentRecord(reader.GetString(1), reader.GetString(2), status, reader.GetString(4), recordedAt, expiresAt, method, source, metadata);
        return new ConsentRecord(sequence, record, key) { NoticeDigest = reader.GetFieldValue<byte[]>(13) };
    }

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
