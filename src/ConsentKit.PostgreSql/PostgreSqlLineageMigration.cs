namespace ConsentKit.PostgreSql;

/// <summary>
/// Schema version 4: model lineage in the proof log. The log's kind check grows to the two lineage kinds,
/// lineage entries get a partial index, and artifact ids a table that keeps them unique.
/// </summary>
internal static class PostgreSqlLineageMigration
{
    public const string Sql =
        """
        ALTER TABLE {s}.consent_proof_log DROP CONSTRAINT consent_proof_log_kind_check;
        ALTER TABLE {s}.consent_proof_log ADD CONSTRAINT consent_proof_log_kind_check CHECK (kind BETWEEN 1 AND 7);
        CREATE INDEX consent_proof_log_lineage ON {s}.consent_proof_log (sequence) WHERE kind >= 6;
        CREATE TABLE {s}.consent_lineage_artifacts (
            id           text   NOT NULL PRIMARY KEY,
            log_sequence bigint NOT NULL
        );
        CREATE TRIGGER consent_lineage_artifacts_no_change BEFORE UPDATE OR DELETE ON {s}.consent_lineage_artifacts
            FOR EACH ROW EXECUTE FUNCTION {s}.refuse_change();
        CREATE TRIGGER consent_lineage_artifacts_no_truncate BEFORE TRUNCATE ON {s}.consent_lineage_artifacts
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();
        """;
}
