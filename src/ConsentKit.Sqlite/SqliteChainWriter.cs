using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>A subject's registry entry: its pseudonymous key and the secret that seals its metadata.</summary>
internal sealed record SubjectEntry(byte[] Key, byte[] Secret);

/// <summary>
/// The subject registry inside one write transaction: finds a subject's key and secret, or creates
/// them (random) on the subject's first record and registers them in the proof log.
/// </summary>
/// <param name="statements">The writer's statements.</param>
/// <param name="transaction">The write transaction.</param>
/// <param name="log">The proof log; <see langword="null"/> only while migrating to schema 5, before the log exists.</param>
internal sealed class SqliteSubjectRegistry(SqliteStatementCache statements, SqliteTransaction transaction, SqliteProofLogWriter? log)
{
    private readonly Dictionary<string, SubjectEntry> _seen = new(StringComparer.Ordinal);

    public SubjectEntry? Find(string subjectId)
    {
        if (_seen.TryGetValue(subjectId, out var entry))
        {
            return entry;
        }

        var command = statements.Get("SELECT subject_key, secret FROM consent_subjects WHERE subject_id = $id;", transaction);
        command.Parameters.AddWithValue("$id", subjectId);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        entry = new SubjectEntry((byte[])reader[0], (byte[])reader[1]);
        _seen[subjectId] = entry;
        return entry;
    }

    public SubjectEntry GetOrCreate(string subjectId)
    {
        if (Find(subjectId) is { } found)
        {
            return found;
        }

        var entry = new SubjectEntry(ConsentSubjectSecrets.NewSubjectKey(), ConsentSubjectSecrets.NewSecret());
        var command = statements.Get("INSERT INTO consent_subjects (subject_id, subject_key, secret) VALUES ($id, $key, $secret);", transaction);
        command.Parameters.AddWithValue("$id", subjectId);
        command.Parameters.AddWithValue("$key", entry.Key);
        command.Parameters.AddWithValue("$secret", entry.Secret);
        command.ExecuteNonQuery();
        log?.Append(ConsentProofEntryKind.SubjectRegistered, ConsentProofLog.SubjectRegistered(subjectId, entry.Key, entry.Secret), entry.Key);
        _seen[subjectId] = entry;
        return entry;
    }
}

/// <summary>
/// Appends records to the chain inside one write transaction, which holds the database's write lock,
/// so the head read at the start stays the head.
/// </summary>
internal sealed class SqliteChainWriter
{
    private readonly bool _storesPreviousHash;
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter[] _values;
    private long _previousSequence;
    private ReadOnlyMemory<byte> _previousHash;

    /// <param name="statements">The writer's statements.</param>
    /// <param name="transaction">The write transaction.</param>
    /// <param name="storesPreviousHash">Whether rows have the previous_hash column (schema 6 on; not while migrating to 5).</param>
    public SqliteChainWriter(SqliteStatementCache statements, SqliteTransaction transaction, bool storesPreviousHash = true)
    {
        _storesPreviousHash = storesPreviousHash;
        var head = statements.Get("SELECT sequence, hash FROM consent_events ORDER BY sequence DESC LIMIT 1;", transaction);
        using (var reader = head.ExecuteReader())
        {
            (_previousSequence, _previousHash) = reader.Read() ? (reader.GetInt64(0), (byte[])reader[1]) : (0L, ConsentChain.GenesisHash);
        }

        _insert = statements.Get(
            "INSERT INTO consent_events (sequence, previous_sequence, subject_key, purpose_id, status, notice_version, notice_digest, recorded_at, expires_at, method, source, metadata, hash" +
            (storesPreviousHash ? ", previous_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);" : ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);"),
            transaction);
        _values = new SqliteParameter[storesPreviousHash ? 14 : 13];
        for (var i = 0; i < _values.Length; i++)
        {
            // No declared type: each value binds as what it is (text, integer, blob, null).
            _values[i] = _insert.Parameters.Add(new SqliteParameter { ParameterName = "$" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
    }

    public long LastSequence => _previousSequence;

    public ConsentRecord Append(SubjectEntry subject, NewConsentRecord record, long sequence, ReadOnlyMemory<byte> noticeDigest)
    {
        var entry = ConsentChain.CreateEntry(record, sequence, _previousSequence, _previousHash.Span, subject.Key, subject.Secret, noticeDigest);

        _values[0].Value = entry.Sequence;
        _values[1].Value = entry.PreviousSequence;
        _values[2].Value = subject.Key;
        _values[3].Value = entry.PurposeId;
        _values[4].Value = (int)entry.Status;
        _values[5].Value = entry.NoticeVersion;
        _values[6].Value = entry.NoticeDigest.ToArray();
        _values[7].Value = entry.RecordedAtUtcTicks;
        _values[8].Value = (object?)entry.ExpiresAtUtcTicks ?? DBNull.Value;
        _values[9].Value = (int)entry.Method;
        _values[10].Value = (object?)entry.Source ?? DBNull.Value;
        _values[11].Value = entry.SealedMetadata.ToArray();
        _values[12].Value = entry.Hash.ToArray();
        if (_storesPreviousHash)
        {
            _values[13].Value = _previousHash.ToArray();
        }

        _insert.ExecuteNonQuery();

        _previousSequence = entry.Sequence;
        _previousHash = entry.Hash;
        return new ConsentRecord(sequence, record, subject.Key) { NoticeDigest = entry.NoticeDigest };
    }

}
