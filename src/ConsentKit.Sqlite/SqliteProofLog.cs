using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>
/// Appends to the proof log (<see cref="ConsentProofLog"/>) inside a write transaction, which holds the
/// database's write lock, so the log's head read at the first append stays the head.
/// </summary>
internal sealed class SqliteProofLogWriter(SqliteStatementCache statements, SqliteTransaction transaction)
{
    private long _lastSequence = -1;
    private ReadOnlyMemory<byte> _lastHash;

    public ConsentProofEntry Append(ConsentProofEntryKind kind, byte[] payload, byte[]? subjectKey = null, string? dataUseId = null)
    {
        if (_lastSequence < 0)
        {
            var head = statements.Get("SELECT sequence, hash FROM consent_proof_log ORDER BY sequence DESC LIMIT 1;", transaction);
            using var reader = head.ExecuteReader();
            (_lastSequence, _lastHash) = reader.Read() ? (reader.GetInt64(0), (byte[])reader[1]) : (0L, ConsentChain.GenesisHash);
        }

        var entry = ConsentProofLog.CreateEntry(_lastSequence + 1, kind, payload, _lastHash.Span);
        var insert = statements.Get(
            "INSERT INTO consent_proof_log (sequence, kind, subject_key, data_use_id, payload, previous_hash, hash) VALUES ($sequence, $kind, $key, $use, $payload, $previous, $hash);",
            transaction);
        insert.Parameters.AddWithValue("$sequence", entry.Sequence);
        insert.Parameters.AddWithValue("$kind", (int)kind);
        insert.Parameters.AddWithValue("$key", (object?)subjectKey ?? DBNull.Value);
        insert.Parameters.AddWithValue("$use", (object?)dataUseId ?? DBNull.Value);
        insert.Parameters.AddWithValue("$payload", payload);
        insert.Parameters.AddWithValue("$previous", entry.PreviousHash.ToArray());
        insert.Parameters.AddWithValue("$hash", entry.Hash.ToArray());
        insert.ExecuteNonQuery();
        _lastSequence = entry.Sequence;
        _lastHash = entry.Hash;
        return entry;
    }
}

/// <summary>
/// Schema version 6: the proof log (docs/history-proof.md) and each record's previous hash stored with it,
/// so a read can check a record's hash on its own. Existing stores get their registry, erasures and
/// ledger written into the log, in their order; their records are not re-hashed (old heads still verify).
/// </summary>
internal static class SqliteProofMigration
{
    private const string Tables =
        """
        CREATE TABLE consent_proof_log (
            sequence      INTEGER PRIMARY KEY AUTOINCREMENT,
            kind          INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 5),
            subject_key   BLOB    NULL,
            data_use_id   TEXT    NULL,
            payload       BLOB    NOT NULL,
            previous_hash BLOB    NOT NULL CHECK (length(previous_hash) = 32),
            hash          BLOB    NOT NULL CHECK (length(hash) = 32)
        );
        CREATE INDEX consent_proof_log_by_subject ON consent_proof_log (subject_key, kind) WHERE subject_key IS NOT NULL;
        CREATE TRIGGER consent_proof_log_no_update BEFORE UPDATE ON consent_proof_log
        BEGIN SELECT RAISE(ABORT, 'consent_proof_log is append-only: UPDATE is not allowed'); END;
        CREATE TRIGGER consent_proof_log_no_delete BEFORE DELETE ON consent_proof_log
        BEGIN SELECT RAISE(ABORT, 'consent_proof_log is append-only: DELETE is not allowed'); END;

        DROP TRIGGER consent_events_no_update;
        ALTER TABLE consent_events ADD COLUMN previous_hash BLOB NULL CHECK (previous_hash IS NULL OR length(previous_hash) = 32);
        UPDATE consent_events SET previous_hash = COALESCE(
            (SELECT p.hash FROM consent_events p WHERE p.sequence = consent_events.previous_sequence), zeroblob(32));
        CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
        BEGIN SELECT RAISE(ABORT, 'consent_events is append-only: UPDATE is not allowed'); END;
        """;

    public static void Run(SqliteConnection connection, SqliteTransaction transaction)
    {
        SqliteSchema.Execute(connection, Tables, transaction);
        using var statements = new SqliteStatementCache(connection);
        var log = new SqliteProofLogWriter(statements, transaction);

        // Subjects in the order they first appeared; keys with records but no registry row were erased.
        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText =
                "SELECT k.subject_key, s.subject_id, s.secret, k.erased_at FROM " +
                "(SELECT subject_key, MIN(sequence) AS first, MAX(recorded_at) AS erased_at FROM consent_events GROUP BY subject_key " +
                " UNION ALL SELECT r.subject_key, 9223372036854775807, 0 FROM consent_subjects r WHERE NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.subject_key = r.subject_key)) k " +
                "LEFT JOIN consent_subjects s ON s.subject_key = k.subject_key ORDER BY k.first, k.subject_key;";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                var key = (byte[])reader[0];
                if (reader.IsDBNull(1))
                {
                    log.Append(ConsentProofEntryKind.SubjectErased, ConsentProofLog.SubjectErased(key, new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero)), key);
                }
                else
                {
                    log.Append(ConsentProofEntryKind.SubjectRegistered, ConsentProofLog.SubjectRegistered(reader.GetString(1), key, (byte[])reader[2]), key);
                }
            }
        }

        // The ledger as it stands: each use started, its members, its end.
        var uses = new List<DataUse>();
        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT id, purpose_id, description, started_at, ended_at, status, subject_count, items_seen, items_kept, failure_reason FROM data_uses ORDER BY rowid;";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                uses.Add(ConsentKit.Storage.StoredRows.ReadDataUse(reader));
            }
        }

        foreach (var use in uses)
        {
            log.Append(
                ConsentProofEntryKind.DataUseStarted,
                ConsentProofLog.DataUseStarted(new NewDataUse { Id = use.Id, PurposeId = use.PurposeId, Description = use.Description, StartedAt = use.StartedAt }),
                dataUseId: use.Id);
            var members = new List<(byte[], long)>();
            using (var read = connection.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT subject_key, consent_sequence FROM data_use_subjects WHERE data_use_id = $id ORDER BY consent_sequence, subject_key;";
                read.Parameters.AddWithValue("$id", use.Id);
                using var reader = read.ExecuteReader();
                while (reader.Read())
                {
                    members.Add(((byte[])reader[0], reader.GetInt64(1)));
                }
            }

            if (members.Count > 0)
            {
                log.Append(ConsentProofEntryKind.DataUseSubjectsAdded, ConsentProofLog.DataUseSubjectsAdded(use.Id, members), dataUseId: use.Id);
            }

            if (use.Status != DataUseStatus.Running)
            {
                log.Append(
                    ConsentProofEntryKind.DataUseEnded,
                    ConsentProofLog.DataUseEnded(use.Id, use.Status, use.EndedAt ?? use.StartedAt, use.ItemsSeen, use.ItemsKept, use.FailureReason),
                    dataUseId: use.Id);
            }
        }
    }
}
