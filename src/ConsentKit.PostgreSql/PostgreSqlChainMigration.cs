using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary>
/// Schema version 2: the tamper-evident chain (docs/history-proof.md), as in the SQLite store's
/// version 5. Events name subjects only by a random pseudonymous key kept, with the secret sealing
/// their metadata, in the subject registry — the one table rows are ever deleted from (by erasure).
/// Sequences are assigned by the appender under the append lock (head + 1), so they are dense.
/// </summary>
internal static class PostgreSqlChainMigration
{
    private const string Tables =
        """
        CREATE TABLE {s}.consent_subjects (
            subject_id  text  NOT NULL PRIMARY KEY,
            subject_key bytea NOT NULL UNIQUE CHECK (length(subject_key) = 16),
            secret      bytea NOT NULL CHECK (length(secret) = 32)
        );

        CREATE TABLE {s}.consent_notices (
            purpose_id     text   NOT NULL,
            notice_version text   NOT NULL,
            display_name   text   NOT NULL,
            text           text   NOT NULL,
            digest         bytea  NOT NULL CHECK (length(digest) = 32),
            first_seen_at  bigint NOT NULL,
            PRIMARY KEY (purpose_id, notice_version)
        );
        CREATE TRIGGER consent_notices_no_change BEFORE UPDATE OR DELETE ON {s}.consent_notices
            FOR EACH ROW EXECUTE FUNCTION {s}.refuse_change();
        CREATE TRIGGER consent_notices_no_truncate BEFORE TRUNCATE ON {s}.consent_notices
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();

        CREATE TABLE {s}.consent_events (
            sequence          bigint   NOT NULL PRIMARY KEY CHECK (sequence > 0),
            previous_sequence bigint   NOT NULL,
            subject_key       bytea    NOT NULL CHECK (length(subject_key) = 16),
            purpose_id        text     NOT NULL,
            status            smallint NOT NULL CHECK (status IN (1, 2, 3)),
            notice_version    text     NOT NULL,
            notice_digest     bytea    NOT NULL CHECK (length(notice_digest) = 32),
            recorded_at       bigint   NOT NULL,
            expires_at        bigint   NULL,
            method            smallint NOT NULL CHECK (method BETWEEN 1 AND 5),
            source            text     NULL,
            metadata          bytea    NOT NULL,
            hash              bytea    NOT NULL CHECK (length(hash) = 32),
            CHECK (status <> 1 OR method IN (1, 2))
        );
        CREATE INDEX consent_events_by_subject ON {s}.consent_events (subject_key, purpose_id, sequence);

        CREATE TABLE {s}.consent_current (
            subject_key bytea  NOT NULL,
            purpose_id  text   NOT NULL,
            sequence    bigint NOT NULL REFERENCES {s}.consent_events (sequence),
            PRIMARY KEY (subject_key, purpose_id)
        );

        CREATE OR REPLACE FUNCTION {s}.track_current() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {s}.consent_current AS c (subject_key, purpose_id, sequence)
            VALUES (NEW.subject_key, NEW.purpose_id, NEW.sequence)
            ON CONFLICT (subject_key, purpose_id) DO UPDATE SET sequence = EXCLUDED.sequence
            WHERE c.sequence < EXCLUDED.sequence;
            RETURN NULL;
        END $$;

        CREATE TRIGGER consent_events_no_change BEFORE UPDATE OR DELETE ON {s}.consent_events
            FOR EACH ROW EXECUTE FUNCTION {s}.refuse_change();
        CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON {s}.consent_events
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();
        CREATE TRIGGER consent_events_track_current AFTER INSERT ON {s}.consent_events
            FOR EACH ROW EXECUTE FUNCTION {s}.track_current();
        CREATE TRIGGER consent_current_guard BEFORE INSERT OR UPDATE OR DELETE ON {s}.consent_current
            FOR EACH ROW EXECUTE FUNCTION {s}.guard_current();
        CREATE TRIGGER consent_current_no_truncate BEFORE TRUNCATE ON {s}.consent_current
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();

        CREATE TABLE {s}.data_use_subjects (
            data_use_id      text   NOT NULL REFERENCES {s}.data_uses (id),
            subject_key      bytea  NOT NULL,
            consent_sequence bigint NOT NULL,
            PRIMARY KEY (data_use_id, subject_key)
        );
        CREATE INDEX data_use_subjects_by_subject ON {s}.data_use_subjects (subject_key, consent_sequence);
        CREATE TRIGGER data_use_subjects_no_change BEFORE UPDATE OR DELETE ON {s}.data_use_subjects
            FOR EACH ROW EXECUTE FUNCTION {s}.refuse_change();
        CREATE TRIGGER data_use_subjects_no_truncate BEFORE TRUNCATE ON {s}.data_use_subjects
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();

        CREATE VIEW {s}.consent_events_readable AS
            SELECT e.sequence, r.subject_id, encode(e.subject_key, 'hex') AS subject_key, e.purpose_id,
                   CASE e.status WHEN 1 THEN 'granted' WHEN 2 THEN 'refused' WHEN 3 THEN 'withdrawn' END AS status,
                   e.notice_version,
                   to_timestamp((e.recorded_at - 621355968000000000) / 10000000.0) AS recorded_at,
                   to_timestamp((e.expires_at - 621355968000000000) / 10000000.0) AS expires_at,
                   CASE e.method WHEN 1 THEN 'subject-user-interface' WHEN 2 THEN 'subject-api-call' WHEN 3 THEN 'privacy-signal' WHEN 4 THEN 'operator' WHEN 5 THEN 'import' END AS method,
                   e.source, encode(e.hash, 'hex') AS hash
            FROM {s}.consent_events e LEFT JOIN {s}.consent_subjects r ON r.subject_key = e.subject_key;
        """;

    public static async Task RunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken)
    {
        await PostgreSqlSchema.ExecuteAsync(
            connection,
            transaction,
            $"""
            DROP VIEW {schema}.consent_events_readable;
            ALTER TABLE {schema}.consent_current RENAME TO consent_current_v1;
            ALTER TABLE {schema}.consent_events RENAME TO consent_events_v1;
            ALTER TABLE {schema}.data_use_subjects RENAME TO data_use_subjects_v1;
            DROP TRIGGER consent_events_track_current ON {schema}.consent_events_v1;
            DROP TRIGGER consent_events_no_change ON {schema}.consent_events_v1;
            DROP TRIGGER consent_events_no_truncate ON {schema}.consent_events_v1;
            DROP TRIGGER consent_current_guard ON {schema}.consent_current_v1;
            DROP TRIGGER consent_current_no_truncate ON {schema}.consent_current_v1;
            DROP TRIGGER data_use_subjects_no_change ON {schema}.data_use_subjects_v1;
            DROP TRIGGER data_use_subjects_no_truncate ON {schema}.data_use_subjects_v1;
            ALTER INDEX {schema}.consent_events_by_subject RENAME TO consent_events_by_subject_v1;
            ALTER INDEX {schema}.data_use_subjects_by_subject RENAME TO data_use_subjects_by_subject_v1;
            ALTER TABLE {schema}.consent_events_v1 RENAME CONSTRAINT consent_events_pkey TO consent_events_v1_pkey;
            ALTER TABLE {schema}.consent_current_v1 RENAME CONSTRAINT consent_current_pkey TO consent_current_v1_pkey;
            ALTER TABLE {schema}.data_use_subjects_v1 RENAME CONSTRAINT data_use_subjects_pkey TO data_use_subjects_v1_pkey;
            """,
            cancellationToken);
        await PostgreSqlSchema.ExecuteAsync(connection, transaction, Tables.Replace("{s}", schema, StringComparison.Ordinal), cancellationToken);

        var old = new List<(long Sequence, NewConsentRecord Record)>();
        await using (var read = new NpgsqlCommand(
            $"SELECT sequence, subject_id, purpose_id, status, notice_version, recorded_at, expires_at, method, source, metadata::text FROM {schema}.consent_events_v1 ORDER BY sequence;",
            connection,
            transaction))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                old.Add((reader.GetInt64(0), new NewConsentRecord(
                    reader.GetString(1),
                    reader.GetString(2),
                    (ConsentStatus)reader.GetInt16(3),
                    reader.GetString(4),
                    new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
                    reader.IsDBNull(6) ? null : new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
                    (ConsentMethod)reader.GetInt16(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : System.Text.Json.JsonSerializer.Deserialize(reader.GetString(9), PostgreSqlJson.Default.DictionaryStringString))));
            }
        }

        // Old sequences may have gaps (identity values of failed appends); the chain keeps them as they were.
        var writer = new PostgreSqlChainWriter(schema, schema2: true);
        foreach (var chunk in old.Chunk(2_000))
        {
            await writer.AppendAsync(connection, transaction, [.. chunk.Select(c => c.Record)], [.. chunk.Select(c => c.Sequence)], cancellationToken);
        }

        await PostgreSqlSchema.ExecuteAsync(
            connection,
            transaction,
            $"""
            INSERT INTO {schema}.consent_subjects (subject_id, subject_key, secret)
                SELECT DISTINCT subject_id, uuid_send(gen_random_uuid()), uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
                FROM {schema}.data_use_subjects_v1 ON CONFLICT (subject_id) DO NOTHING;
            INSERT INTO {schema}.data_use_subjects (data_use_id, subject_key, consent_sequence)
                SELECT o.data_use_id, r.subject_key, o.consent_sequence FROM {schema}.data_use_subjects_v1 o JOIN {schema}.consent_subjects r USING (subject_id);
            DROP TABLE {schema}.data_use_subjects_v1;
            DROP TABLE {schema}.consent_current_v1;
            DROP TABLE {schema}.consent_events_v1;
            """,
            cancellationToken);
    }
}
