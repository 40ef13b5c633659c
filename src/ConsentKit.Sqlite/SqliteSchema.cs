using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>The database schema and its forward-only migrations.</summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this code writes and reads.</summary>
    public const int LatestVersion = 8;

    // Each entry moves the schema from version (index) to version (index + 1). Never edit a shipped
    // entry: add a new one. Version 5 and later are code (SqliteChainMigration), not only SQL.
    private static readonly string[] Migrations =
    [
        // 1: the append-only event log. Grants only by the subject, enforced by the database as well.
        """
        CREATE TABLE consent_events (
            sequence       INTEGER PRIMARY KEY AUTOINCREMENT,
            subject_id     TEXT    NOT NULL,
            purpose_id     TEXT    NOT NULL,
            status         INTEGER NOT NULL CHECK (status IN (1, 2, 3)),
            notice_version TEXT    NOT NULL,
            recorded_at    INTEGER NOT NULL,
            expires_at     INTEGER NULL,
            method         INTEGER NOT NULL CHECK (method BETWEEN 1 AND 5),
            source         TEXT    NULL,
            metadata       TEXT    NULL,
            CHECK (status <> 1 OR method IN (1, 2))
        );
        CREATE INDEX consent_events_by_subject ON consent_events (subject_id, sequence);
        CREATE VIEW consent_events_readable AS
            SELECT sequence, subject_id, purpose_id,
                   CASE status WHEN 1 THEN 'granted' WHEN 2 THEN 'refused' WHEN 3 THEN 'withdrawn' END AS status,
                   notice_version,
                   strftime('%Y-%m-%dT%H:%M:%fZ', (recorded_at - 621355968000000000) / 10000000.0, 'unixepoch') AS recorded_at,
                   strftime('%Y-%m-%dT%H:%M:%fZ', (expires_at - 621355968000000000) / 10000000.0, 'unixepoch') AS expires_at,
                   CASE method WHEN 1 THEN 'subject-ui' WHEN 2 THEN 'subject-api' WHEN 3 THEN 'privacy-signal' WHEN 4 THEN 'operator' WHEN 5 THEN 'import' END AS method,
                   source, metadata
            FROM consent_events;
        CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
        BEGIN SELECT RAISE(ABORT, 'consent_events is append-only: UPDATE is not allowed'); END;
        CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
        BEGIN SELECT RAISE(ABORT, 'consent_events is append-only: DELETE is not allowed'); END;
        """,

        // 2: the current state per (subject, purpose), kept by a trigger in the appending transaction,
        // so reads never scan history.
        """
        CREATE TABLE consent_current (
            subject_id TEXT    NOT NULL,
            purpose_id TEXT    NOT NULL,
            sequence   INTEGER NOT NULL,
            PRIMARY KEY (subject_id, purpose_id)
        ) WITHOUT ROWID;
        INSERT INTO consent_current (subject_id, purpose_id, sequence)
            SELECT subject_id, purpose_id, MAX(sequence) FROM consent_events GROUP BY subject_id, purpose_id;
        CREATE TRIGGER consent_events_track_current AFTER INSERT ON consent_events
        BEGIN
            INSERT OR REPLACE INTO consent_current (subject_id, purpose_id, sequence)
            VALUES (NEW.subject_id, NEW.purpose_id, NEW.sequence);
        END;
        """,

        // 3: the data-use ledger. Runs end once; nothing is deleted; included subjects are never changed.
        """
        CREATE TABLE data_uses (
            id             TEXT    NOT NULL PRIMARY KEY,
            purpose_id     TEXT    NOT NULL,
            description    TEXT    NOT NULL,
            started_at     INTEGER NOT NULL,
            ended_at       INTEGER NULL,
            status         INTEGER NOT NULL CHECK (status IN (1, 2, 3)),
            subject_count  INTEGER NOT NULL DEFAULT 0,
            items_seen     INTEGER NULL,
            items_kept     INTEGER NULL,
            failure_reason TEXT    NULL
        );
        CREATE TABLE data_use_subjects (
            data_use_id      TEXT    NOT NULL REFERENCES data_uses (id),
            subject_id       TEXT    NOT NULL,
            consent_sequence INTEGER NOT NULL,
            PRIMARY KEY (data_use_id, subject_id)
        ) WITHOUT ROWID;
        CREATE INDEX data_use_subjects_by_subject ON data_use_subjects (subject_id, consent_sequence);
        CREATE TRIGGER data_uses_no_delete BEFORE DELETE ON data_uses
        BEGIN SELECT RAISE(ABORT, 'data_uses is append-only: DELETE is not allowed'); END;
        CREATE TRIGGER data_uses_end_once BEFORE UPDATE OF status ON data_uses WHEN OLD.status <> 1
        BEGIN SELECT RAISE(ABORT, 'a data use that has ended cannot change'); END;
        CREATE TRIGGER data_use_subjects_no_update BEFORE UPDATE ON data_use_subjects
        BEGIN SELECT RAISE(ABORT, 'data_use_subjects is append-only: UPDATE is not allowed'); END;
        CREATE TRIGGER data_use_subjects_no_delete BEFORE DELETE ON data_use_subjects
        BEGIN SELECT RAISE(ABORT, 'data_use_subjects is append-only: DELETE is not allowed'); END;
        """,

        // 4: the readable view names methods as every other surface does (ConsentVocabulary).
        """
        DROP VIEW consent_events_readable;
        CREATE VIEW consent_events_readable AS
            SELECT sequence, subject_id, purpose_id,
                   CASE status WHEN 1 THEN 'granted' WHEN 2 THEN 'refused' WHEN 3 THEN 'withdrawn' END AS status,
                   notice_version,
                   strftime('%Y-%m-%dT%H:%M:%fZ', (recorded_at - 621355968000000000) / 10000000.0, 'unixepoch') AS recorded_at,
                   strftime('%Y-%m-%dT%H:%M:%fZ', (expires_at - 621355968000000000) / 10000000.0, 'unixepoch') AS expires_at,
                   CASE method WHEN 1 THEN 'subject-user-interface' WHEN 2 THEN 'subject-api-call' WHEN 3 THEN 'privacy-signal' WHEN 4 THEN 'operator' WHEN 5 THEN 'import' END AS method,
                   source, metadata
            FROM consent_events;
        """,
    ];

    /// <summary>
    /// Brings the database to <paramref name="targetVersion"/> (the latest by default) in one write
    /// transaction, so two processes starting together migrate once.
    /// </summary>
    /// <exception cref="ConsentStoreException">The database has a newer schema than this code knows.</exception>
    public static void Migrate(SqliteConnection connection, string location, int targetVersion = LatestVersion)
    {
        // WAL cannot be switched on inside a transaction; it is stored in the file, so once is enough.
        Execute(connection, "PRAGMA journal_mode = WAL;");

        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, "CREATE TABLE IF NOT EXISTS consentkit_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);", transaction);
        var current = ReadVersion(connection, transaction);
        if (current > LatestVersion)
        {
            throw new ConsentStoreException(
                $"The consent database at '{location}' has schema version {current}, newer than the {LatestVersion} this version of ConsentKit.Sqlite understands. " +
                "Upgrade ConsentKit.Sqlite; the database was not changed.");
        }

        for (var version = current; version < targetVersion; version++)
        {
            if (version < Migrations.Length)
            {
                Execute(connection, Migrations[version], transaction);
            }
            else if (version == 4)
            {
                // 5: the tamper-evident chain, the subject registry and the kept notices (C#: hashes).
                SqliteChainMigration.Run(connection, transaction);
            }
            else if (version == 5)
            {
                // 6: the proof log (registry, erasures, ledger) and each record's previous hash.
                SqliteProofMigration.Run(connection, transaction);
            }
            else if (version == 6)
            {
                // 7: model lineage in the proof log.
                Execute(connection, SqliteLineageMigration.Sql, transaction);
            }
            else
            {
                // 8: the relay's positions, leases and dead letters.
                Execute(connection, SqliteRelayMigration.Sql, transaction);
            }
        }

        if (targetVersion > current)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO consentkit_schema (id, version) VALUES (1, $version) ON CONFLICT (id) DO UPDATE SET version = excluded.version;";
            command.Parameters.AddWithValue("$version", targetVersion);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public static int ReadVersion(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version FROM consentkit_schema WHERE id = 1;";
        return command.ExecuteScalar() is long version ? (int)version : 0;
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
