using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>
/// Schema version 5: the tamper-evident chain (docs/history-proof.md). Events name subjects only by a
/// random pseudonymous key, kept with the subject's metadata secret in the subject registry, the one
/// table rows are ever deleted from (by erasure). Existing records are re-written into the chain in
/// their order, with their sequences; their notice texts were never kept, so they carry no digest.
/// </summary>
internal static class SqliteChainMigration
{
    public const string Tables =
        """
        CREATE TABLE consent_subjects (
            subject_id  TEXT NOT NULL PRIMARY KEY,
            subject_key BLOB NOT NULL UNIQUE CHECK (length(subject_key) = 16),
            secret      BLOB NOT NULL CHECK (length(secret) = 32)
        ) WITHOUT ROWID;
        CREATE TABLE consent_notices (
            purpose_id     TEXT    NOT NULL,
            notice_version TEXT    NOT NULL,
            display_name   TEXT    NOT NULL,
            text           TEXT    NOT NULL,
            digest         BLOB    NOT NULL CHECK (length(digest) = 32),
            first_seen_at  INTEGER NOT NULL,
            PRIMARY KEY (purpose_id, notice_version)
        ) WITHOUT ROWID;
        CREATE TRIGGER consent_notices_no_update BEFORE UPDATE ON consent_notices
        BEGIN SELECT RAISE(ABORT, 'consent_notices is append-only: a changed text needs a new notice version'); END;
        CREATE TRIGGER consent_notices_no_delete BEFORE DELETE ON consent_notices
        BEGIN SELECT RAISE(ABORT, 'consent_notices is append-only: DELETE is not allowed'); END;

        CREATE TABLE consent_events (
            sequence          INTEGER PRIMARY KEY AUTOINCREMENT,
            previous_sequence INTEGER NOT NULL,
            subject_key       BLOB    NOT NULL CHECK (length(subject_key) = 16),
            purpose_id        TEXT    NOT NULL,
            status            INTEGER NOT NULL CHECK (status IN (1, 2, 3)),
            notice_version    TEXT    NOT NULL,
            notice_digest     BLOB    NOT NULL CHECK (length(notice_digest) = 32),
            recorded_at       INTEGER NOT NULL,
            expires_at        INTEGER NULL,
            method            INTEGER NOT NULL CHECK (method BETWEEN 1 AND 5),
            source            TEXT    NULL,
            metadata          BLOB    NOT NULL,
            hash              BLOB    NOT NULL CHECK (length(hash) = 32),
            CHECK (status <> 1 OR method IN (1, 2))
        );
        CREATE INDEX consent_events_by_subject ON consent_events (subject_key, purpose_id, sequence);
        CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
        BEGIN SELECT RAISE(ABORT, 'consent_events is append-only: UPDATE is not allowed'); END;
        CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
        BEGIN SELECT RAISE(ABORT, 'consent_events is append-only: DELETE is not allowed'); END;

        CREATE TABLE consent_current (
            subject_key BLOB    NOT NULL,
            purpose_id  TEXT    NOT NULL,
            sequence    INTEGER NOT NULL,
            PRIMARY KEY (subject_key, purpose_id)
        ) WITHOUT ROWID;
        CREATE TRIGGER consent_events_track_current AFTER INSERT ON consent_events
        BEGIN
            INSERT INTO consent_current (subject_key, purpose_id, sequence) VALUES (NEW.subject_key, NEW.purpose_id, NEW.sequence)
            ON CONFLICT (subject_key, purpose_id) DO UPDATE SET sequence = excluded.sequence;
        END;
        -- The current-state index may only ever point at a pair's latest record: an UPDATE pointing it at
        -- an old grant would otherwise revive that grant.
        CREATE TRIGGER consent_current_latest_only_insert BEFORE INSERT ON consent_current
        WHEN NEW.sequence IS NOT (SELECT MAX(sequence) FROM consent_events WHERE subject_key = NEW.subject_key AND purpose_id = NEW.purpose_id)
        BEGIN SELECT RAISE(ABORT, 'consent_current only points at a pair''s latest record'); END;
        CREATE TRIGGER consent_current_latest_only_update BEFORE UPDATE ON consent_current
        WHEN NEW.sequence IS NOT (SELECT MAX(sequence) FROM consent_events WHERE subject_key = NEW.subject_key AND purpose_id = NEW.purpose_id)
        BEGIN SELECT RAISE(ABORT, 'consent_current only points at a pair''s latest record'); END;
        CREATE TRIGGER consent_current_no_delete BEFORE DELETE ON consent_current
        BEGIN SELECT RAISE(ABORT, 'consent_current is kept by the append trigger: DELETE is not allowed'); END;

        CREATE TABLE data_use_subjects (
            data_use_id      TEXT    NOT NULL REFERENCES data_uses (id),
            subject_key      BLOB    NOT NULL,
            consent_sequence INTEGER NOT NULL,
            PRIMARY KEY (data_use_id, subject_key)
        ) WITHOUT ROWID;
        CREATE INDEX data_use_subjects_by_subject ON data_use_subjects (subject_key, consent_sequence);
        CREATE TRIGGER data_use_subjects_no_update BEFORE UPDATE ON data_use_subjects
        BEGIN SELECT RAISE(ABORT, 'data_use_subjects is append-only: UPDATE is not allowed'); END;
        CREATE TRIGGER data_use_subjects_no_delete BEFORE DELETE ON data_use_subjects
        BEGIN SELECT RAISE(ABORT, 'data_use_subjects is append-only: DELETE is not allowed'); END;

        CREATE VIEW consent_events_readable AS
            SELECT e.sequence, s.subject_id, lower(hex(e.subject_key)) AS subject_key, e.purpose_id,
                   CASE e.status WHEN 1 THEN 'granted' WHEN 2 THEN 'refused' WHEN 3 THEN 'withdrawn' END AS status,
                   e.notice_version,
                   strftime('%Y-%m-%dT%H:%M:%fZ', (e.recorded_at - 621355968000000000) / 10000000.0, 'unixepoch') AS recorded_at,
                   strftime('%Y-%m-%dT%H:%M:%fZ', (e.expires_at - 621355968000000000) / 10000000.0, 'unixepoch') AS expires_at,
                   CASE e.method WHEN 1 THEN 'subject-user-interface' WHEN 2 THEN 'subject-api-call' WHEN 3 THEN 'privacy-signal' WHEN 4 THEN 'operator' WHEN 5 THEN 'import' END AS method,
                   e.source, lower(hex(e.hash)) AS hash
            FROM consent_events e LEFT JOIN consent_subjects s ON s.subject_key = e.subject_key;
        """;

    public static void Run(SqliteConnection connection, SqliteTransaction transaction)
    {
        SqliteSchema.Execute(
            connection,
            """
            DROP VIEW consent_events_readable;
            DROP TRIGGER consent_events_track_current;
            DROP TRIGGER consent_events_no_update;
            DROP TRIGGER consent_events_no_delete;
            DROP TRIGGER data_use_subjects_no_update;
            DROP TRIGGER data_use_subjects_no_delete;
            ALTER TABLE consent_events RENAME TO consent_events_v4;
            ALTER TABLE consent_current RENAME TO consent_current_v4;
            ALTER TABLE data_use_subjects RENAME TO data_use_subjects_v4;
            DROP INDEX consent_events_by_subject;
            DROP INDEX data_use_subjects_by_subject;
            """,
            transaction);
        SqliteSchema.Execute(connection, Tables, transaction);

        using var statements = new SqliteStatementCache(connection);
        // Schema 5 has no proof log and no previous_hash column yet: schema 6 adds both and fills them.
        var registry = new SqliteSubjectRegistry(statements, transaction, log: null);
        var chain = new SqliteChainWriter(statements, transaction, storesPreviousHash: false);
        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText =
                "SELECT sequence, subject_id, purpose_id, status, notice_version, recorded_at, expires_at, method, source, metadata FROM consent_events_v4 ORDER BY sequence;";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                var record = new NewConsentRecord(
                    reader.GetString(1),
                    reader.GetString(2),
                    (ConsentStatus)reader.GetInt32(3),
                    reader.GetString(4),
                    new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
                    reader.IsDBNull(6) ? null : new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
                    (ConsentMethod)reader.GetInt32(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : System.Text.Json.JsonSerializer.Deserialize(reader.GetString(9), SqliteJson.Default.DictionaryStringString));
                chain.Append(registry.GetOrCreate(record.SubjectId), record, reader.GetInt64(0), ConsentChain.NoNoticeDigest);
            }
        }

        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT data_use_id, subject_id, consent_sequence FROM data_use_subjects_v4;";
            using var reader = read.ExecuteReader();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO data_use_subjects (data_use_id, subject_key, consent_sequence) VALUES ($id, $key, $sequence);";
            while (reader.Read())
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$id", reader.GetString(0));
                insert.Parameters.AddWithValue("$key", registry.GetOrCreate(reader.GetString(1)).Key);
                insert.Parameters.AddWithValue("$sequence", reader.GetInt64(2));
                insert.ExecuteNonQuery();
            }
        }

        SqliteSchema.Execute(connection, "DROP TABLE data_use_subjects_v4; DROP TABLE consent_current_v4; DROP TABLE consent_events_v4;", transaction);
    }
}
