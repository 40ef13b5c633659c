namespace ConsentKit.Sqlite;

/// <summary>
/// Schema version 7: model lineage in the proof log. The log's kind check grows to the two lineage kinds
/// (SQLite cannot alter a CHECK: the table is rebuilt, rows and sequences unchanged), lineage entries get a
/// partial index, and artifact ids a table that keeps them unique.
/// </summary>
internal static class SqliteLineageMigration
{
    public const string Sql =
        """
        DROP TRIGGER consent_proof_log_no_update;
        DROP TRIGGER consent_proof_log_no_delete;
        CREATE TABLE consent_proof_log_v7 (
            sequence      INTEGER PRIMARY KEY AUTOINCREMENT,
            kind          INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 7),
            subject_key   BLOB    NULL,
            data_use_id   TEXT    NULL,
            payload       BLOB    NOT NULL,
            previous_hash BLOB    NOT NULL CHECK (length(previous_hash) = 32),
            hash          BLOB    NOT NULL CHECK (length(hash) = 32)
        );
        INSERT INTO consent_proof_log_v7 (sequence, kind, subject_key, data_use_id, payload, previous_hash, hash)
            SELECT sequence, kind, subject_key, data_use_id, payload, previous_hash, hash FROM consent_proof_log ORDER BY sequence;
        DROP TABLE consent_proof_log;
        ALTER TABLE consent_proof_log_v7 RENAME TO consent_proof_log;
        CREATE INDEX consent_proof_log_by_subject ON consent_proof_log (subject_key, kind) WHERE subject_key IS NOT NULL;
        CREATE INDEX consent_proof_log_lineage ON consent_proof_log (sequence) WHERE kind >= 6;
        CREATE TRIGGER consent_proof_log_no_update BEFORE UPDATE ON consent_proof_log
        BEGIN SELECT RAISE(ABORT, 'consent_proof_log is append-only: UPDATE is not allowed'); END;
        CREATE TRIGGER consent_proof_log_no_delete BEFORE DELETE ON consent_proof_log
        BEGIN SELECT RAISE(ABORT, 'consent_proof_log is append-only: DELETE is not allowed'); END;

        CREATE TABLE consent_lineage_artifacts (
            id           TEXT    NOT NULL PRIMARY KEY,
            log_sequence INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TRIGGER consent_lineage_artifacts_no_update BEFORE UPDATE ON consent_lineage_artifacts
        BEGIN SELECT RAISE(ABORT, 'consent_lineage_artifacts is append-only: UPDATE is not allowed'); END;
        CREATE TRIGGER consent_lineage_artifacts_no_delete BEFORE DELETE ON consent_lineage_artifacts
        BEGIN SELECT RAISE(ABORT, 'consent_lineage_artifacts is append-only: DELETE is not allowed'); END;
        """;
}
