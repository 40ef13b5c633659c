using ConsentKit.Storage;
using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary>
/// Schema version 3, as the SQLite store's version 6: the proof log (docs/history-proof.md), each record's
/// previous hash stored with it (so a read checks a record's hash on its own), and a high-water counter of
/// record sequences kept by trigger (records cut off the end show as the counter ahead of the last record).
/// Existing registry rows, erasures and the ledger are written into the log; records are not re-hashed.
/// </summary>
internal static class PostgreSqlProofMigration
{
    private const string Tables =
        """
        CREATE TABLE {s}.consent_proof_log (
            sequence      bigint   NOT NULL PRIMARY KEY CHECK (sequence > 0),
            kind          smallint NOT NULL CHECK (kind BETWEEN 1 AND 5),
            subject_key   bytea    NULL,
            data_use_id   text     NULL,
            payload       bytea    NOT NULL,
            previous_hash bytea    NOT NULL CHECK (length(previous_hash) = 32),
            hash          bytea    NOT NULL CHECK (length(hash) = 32)
        );
        CREATE INDEX consent_proof_log_by_subject ON {s}.consent_proof_log (subject_key, kind) WHERE subject_key IS NOT NULL;
        CREATE TRIGGER consent_proof_log_no_change BEFORE UPDATE OR DELETE ON {s}.consent_proof_log
            FOR EACH ROW EXECUTE FUNCTION {s}.refuse_change();
        CREATE TRIGGER consent_proof_log_no_truncate BEFORE TRUNCATE ON {s}.consent_proof_log
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();

        ALTER TABLE {s}.consent_events DISABLE TRIGGER consent_events_no_change;
        ALTER TABLE {s}.consent_events ADD COLUMN previous_hash bytea NULL CHECK (previous_hash IS NULL OR length(previous_hash) = 32);
        UPDATE {s}.consent_events e SET previous_hash = COALESCE(
            (SELECT p.hash FROM {s}.consent_events p WHERE p.sequence = e.previous_sequence), '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
        ALTER TABLE {s}.consent_events ENABLE TRIGGER consent_events_no_change;

        -- The highest record sequence ever appended, only ever raised by the append trigger: a DELETE of the
        -- last records does not set it back, so the verifier sees them cut off.
        CREATE TABLE {s}.consent_sequence_counter (id integer PRIMARY KEY CHECK (id = 1), sequence bigint NOT NULL);
        INSERT INTO {s}.consent_sequence_counter (id, sequence) SELECT 1, COALESCE(MAX(sequence), 0) FROM {s}.consent_events;
        CREATE FUNCTION {s}.track_sequence_counter() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE {s}.consent_sequence_counter SET sequence = GREATEST(sequence, (SELECT MAX(sequence) FROM appended)) WHERE id = 1;
            RETURN NULL;
        END $$;
        CREATE TRIGGER consent_events_track_sequence_counter AFTER INSERT ON {s}.consent_events
            REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION {s}.track_sequence_counter();
        CREATE FUNCTION {s}.guard_sequence_counter() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF pg_trigger_depth() < 2 OR TG_OP <> 'UPDATE' OR NEW.sequence < OLD.sequence THEN
                RAISE EXCEPTION '%.consent_sequence_counter is kept by the append trigger: % is not allowed', TG_TABLE_SCHEMA, TG_OP
                    USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER consent_sequence_counter_guard BEFORE UPDATE OR DELETE ON {s}.consent_sequence_counter
            FOR EACH ROW EXECUTE FUNCTION {s}.guard_sequence_counter();
        CREATE TRIGGER consent_sequence_counter_no_truncate BEFORE TRUNCATE ON {s}.consent_sequence_counter
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();
        """;

    public static async Task RunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken)
    {
        await PostgreSqlSchema.ExecuteAsync(connection, transaction, Tables.Replace("{s}", schema, StringComparison.Ordinal), cancellationToken);

        // Subjects in the order they first appeared; keys with records but no registry row were erased.
        var items = new List<ProofLogItem>();
        await using (var read = new NpgsqlCommand(
            $"SELECT k.subject_key, s.subject_id, s.secret, k.erased_at FROM " +
            $"(SELECT subject_key, MIN(sequence) AS first, MAX(recorded_at) AS erased_at FROM {schema}.consent_events GROUP BY subject_key " +
            $" UNION ALL SELECT r.subject_key, 9223372036854775807, 0 FROM {schema}.consent_subjects r WHERE NOT EXISTS (SELECT 1 FROM {schema}.consent_events e WHERE e.subject_key = r.subject_key)) k " +
            $"LEFT JOIN {schema}.consent_subjects s ON s.subject_key = k.subject_key ORDER BY k.first, k.subject_key;",
            connection,
            transaction))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (byte[])reader[0];
                items.Add(reader.IsDBNull(1)
                    ? new(ConsentProofEntryKind.SubjectErased, ConsentProofLog.SubjectErased(key, new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero)), key)
                    : new(ConsentProofEntryKind.SubjectRegistered, ConsentProofLog.SubjectRegistered(reader.GetString(1), key, (byte[])reader[2]), key));
            }
        }

        var uses = new List<DataUse>();
        await using (var read = new NpgsqlCommand(
            $"SELECT id, purpose_id, description, started_at, ended_at, status, subject_count, items_seen, items_kept, failure_reason FROM {schema}.data_uses ORDER BY position;",
            connection,
            transaction))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                uses.Add(StoredRows.ReadDataUse(reader));
            }
        }

        foreach (var use in uses)
        {
            items.Add(new(
                ConsentProofEntryKind.DataUseStarted,
                ConsentProofLog.DataUseStarted(new NewDataUse { Id = use.Id, PurposeId = use.PurposeId, Description = use.Description, StartedAt = use.StartedAt }),
                DataUseId: use.Id));
            var members = new List<(byte[], long)>();
            await using (var read = new NpgsqlCommand(
                $"SELECT subject_key, consent_sequence FROM {schema}.data_use_subjects WHERE data_use_id = $1 ORDER BY consent_sequence, subject_key;",
                connection,
                transaction))
            {
                read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = use.Id });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    members.Add(((byte[])reader[0], reader.GetInt64(1)));
                }
            }

            if (members.Count > 0)
            {
                items.Add(new(ConsentProofEntryKind.DataUseSubjectsAdded, ConsentProofLog.DataUseSubjectsAdded(use.Id, members), DataUseId: use.Id));
            }

            if (use.Status != DataUseStatus.Running)
            {
                items.Add(new(
                    ConsentProofEntryKind.DataUseEnded,
                    ConsentProofLog.DataUseEnded(use.Id, use.Status, use.EndedAt ?? use.StartedAt, use.ItemsSeen, use.ItemsKept, use.FailureReason),
                    DataUseId: use.Id));
            }
        }

        foreach (var chunk in items.Chunk(2_000))
        {
            await PostgreSqlProofLog.AppendAsync(connection, transaction, schema, chunk, cancellationToken);
        }
    }
}
