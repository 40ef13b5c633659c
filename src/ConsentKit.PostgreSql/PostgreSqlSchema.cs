using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary>The database schema and its forward-only migrations.</summary>
/// <remarks>
/// Every statement names the schema (<c>{s}</c> below), validated by
/// <see cref="PostgreSqlConsentStoreOptionsValidator"/> before it is spliced in.
/// </remarks>
internal static class PostgreSqlSchema
{
    /// <summary>The schema version this code writes and reads.</summary>
    public const int LatestVersion = 6;

    // Each entry moves the schema from version (index) to version (index + 1). Never edit a shipped
    // entry: add a new one. Version 2 and later are code (PostgreSqlChainMigration), not only SQL.
    private static readonly string[] Migrations =
    [
        // 1: events, current state, ledger; append-only everywhere, enforced by triggers.
        """
        CREATE TABLE {s}.consent_events (
            sequence       bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            subject_id     text     NOT NULL,
            purpose_id     text     NOT NULL,
            status         smallint NOT NULL CHECK (status IN (1, 2, 3)),
            notice_version text     NOT NULL,
            recorded_at    bigint   NOT NULL,
            expires_at     bigint   NULL,
            method         smallint NOT NULL CHECK (method BETWEEN 1 AND 5),
            source         text     NULL,
            metadata       jsonb    NULL,
            CHECK (status <> 1 OR method IN (1, 2))
        );
        CREATE INDEX consent_events_by_subject ON {s}.consent_events (subject_id, sequence);

        CREATE TABLE {s}.consent_current (
            subject_id text   NOT NULL,
            purpose_id text   NOT NULL,
            sequence   bigint NOT NULL REFERENCES {s}.consent_events (sequence),
            PRIMARY KEY (subject_id, purpose_id)
        );

        CREATE FUNCTION {s}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%.% is append-only: % is not allowed', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'restrict_violation';
        END $$;

        -- consent_current changes only from inside the events' append trigger (trigger depth 2);
        -- an UPDATE pointing it at an old grant would otherwise revive that grant.
        CREATE FUNCTION {s}.guard_current() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF pg_trigger_depth() < 2 THEN
                RAISE EXCEPTION '%.consent_current is kept by the append trigger: % is not allowed', TG_TABLE_SCHEMA, TG_OP
                    USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$;

        CREATE FUNCTION {s}.track_current() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {s}.consent_current AS c (subject_id, purpose_id, sequence)
            VALUES (NEW.subject_id, NEW.purpose_id, NEW.sequence)
            ON CONFLICT (subject_id, purpose_id) DO UPDATE SET sequence = EXCLUDED.sequence
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

        CREATE VIEW {s}.consent_events_readable AS
            SELECT sequence, subject_id, purpose_id,
                   CASE status WHEN 1 THEN 'granted' WHEN 2 THEN 'refused' WHEN 3 THEN 'withdrawn' END AS status,
                   notice_version,
                   to_timestamp((recorded_at - 621355968000000000) / 10000000.0) AS recorded_at,
                   to_timestamp((expires_at - 621355968000000000) / 10000000.0) AS expires_at,
                   CASE method WHEN 1 THEN 'subject-user-interface' WHEN 2 THEN 'subject-api-call' WHEN 3 THEN 'privacy-signal' WHEN 4 THEN 'operator' WHEN 5 THEN 'import' END AS method,
                   source, metadata
            FROM {s}.consent_events;

        CREATE TABLE {s}.data_uses (
            id             text     NOT NULL PRIMARY KEY,
            position       bigint   GENERATED ALWAYS AS IDENTITY UNIQUE,
            purpose_id     text     NOT NULL,
            description    text     NOT NULL,
            started_at     bigint   NOT NULL,
            ended_at       bigint   NULL,
            status         smallint NOT NULL CHECK (status IN (1, 2, 3)),
            subject_count  bigint   NOT NULL DEFAULT 0,
            items_seen     bigint   NULL,
            items_kept     bigint   NULL,
            failure_reason text     NULL
        );
        CREATE TABLE {s}.data_use_subjects (
            data_use_id      text   NOT NULL REFERENCES {s}.data_uses (id),
            subject_id       text   NOT NULL,
            consent_sequence bigint NOT NULL,
            PRIMARY KEY (data_use_id, subject_id)
        );
        CREATE INDEX data_use_subjects_by_subject ON {s}.data_use_subjects (subject_id, consent_sequence);

        CREATE FUNCTION {s}.end_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.status <> 1 THEN
                RAISE EXCEPTION 'data use % has ended and cannot change', OLD.id USING ERRCODE = 'restrict_violation';
            END IF;
            IF NEW.id <> OLD.id OR NEW.purpose_id <> OLD.purpose_id OR NEW.started_at <> OLD.started_at OR NEW.subject_count < OLD.subject_count THEN
                RAISE EXCEPTION 'data use %: only its end and its subject count may change', OLD.id USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN NEW;
        END $$;

        CREATE TRIGGER data_uses_no_delete BEFORE DELETE ON {s}.data_uses
            FOR EACH ROW EXECUTE FUNCTION {s}.refuse_change();
        CREATE TRIGGER data_uses_end_once BEFORE UPDATE ON {s}.data_uses
            FOR EACH ROW EXECUTE FUNCTION {s}.end_once();
        CREATE TRIGGER data_uses_no_truncate BEFORE TRUNCATE ON {s}.data_uses
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();
        CREATE TRIGGER data_use_subjects_no_change BEFORE UPDATE OR DELETE ON {s}.data_use_subjects
            FOR EACH ROW EXECUTE FUNCTION {s}.refuse_change();
        CREATE TRIGGER data_use_subjects_no_truncate BEFORE TRUNCATE ON {s}.data_use_subjects
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_change();
        """,
    ];

    /// <summary>
    /// Brings the schema to the latest version in one transaction under an advisory lock, so ten
    /// instances starting at once migrate once and the others wait, then find nothing to do.
    /// </summary>
    /// <exception cref="ConsentStoreException">The database has a newer schema than this code knows.</exception>
    public static async Task MigrateAsync(NpgsqlConnection connection, string schema, CancellationToken cancellationToken, int targetVersion = LatestVersion)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({LockKeys.Migrate}, hashtext('{schema}'));", cancellationToken);
        await ExecuteAsync(
            connection,
            transaction,
            $"CREATE SCHEMA IF NOT EXISTS {schema}; CREATE TABLE IF NOT EXISTS {schema}.consentkit_schema (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL);",
            cancellationToken);

        await using var read = new NpgsqlCommand($"SELECT version FROM {schema}.consentkit_schema WHERE id = 1;", connection, transaction);
        var current = await read.ExecuteScalarAsync(cancellationToken) is int version ? version : 0;
        if (current > LatestVersion)
        {
            throw new ConsentStoreException(
                $"The consent schema '{schema}' has version {current}, newer than the {LatestVersion} this version of ConsentKit.PostgreSql understands. " +
                "Upgrade ConsentKit.PostgreSql; the database was not changed.");
        }

        for (var step = current; step < targetVersion; step++)
        {
            if (step < Migrations.Length)
            {
                await ExecuteAsync(connection, transaction, Migrations[step].Replace("{s}", schema, StringComparison.Ordinal), cancellationToken);
            }
            else if (step == 1)
            {
                // 2: the tamper-evident chain, the subject registry and the kept notices (C#: hashes).
                await PostgreSqlChainMigration.RunAsync(connection, transaction, schema, cancellationToken);
            }
            else if (step == 2)
            {
                // 3: the proof log (registry, erasures, ledger), each record's previous hash, the sequence counter.
                await PostgreSqlProofMigration.RunAsync(connection, transaction, schema, cancellationToken);
            }
            else if (step == 3)
            {
                // 4: model lineage in the proof log.
                await ExecuteAsync(connection, transaction, PostgreSqlLineageMigration.Sql.Replace("{s}", schema, StringComparison.Ordinal), cancellationToken);
            }
            else if (step == 4)
            {
                // 5: the relay's positions, leases and dead letters.
                await ExecuteAsync(connection, transaction, PostgreSqlRelayMigration.Sql.Replace("{s}", schema, StringComparison.Ordinal), cancellationToken);
            }
            else
            {
                // 6: the current-state pointer kept per statement, for bulk appends.
                await ExecuteAsync(connection, transaction, PostgreSqlBulkMigration.Sql.Replace("{s}", schema, StringComparison.Ordinal), cancellationToken);
            }
        }

        if (current < targetVersion)
        {
            await ExecuteAsync(
                connection,
                transaction,
                $"INSERT INTO {schema}.consentkit_schema (id, version) VALUES (1, {targetVersion}) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;",
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The first half of ConsentKit's two-part advisory lock keys; the second is a hash of the schema name.</summary>
internal static class LockKeys
{
    /// <summary>Held while migrating.</summary>
    public const int Migrate = 0x434B_0001;

    /// <summary>Held by every append until it commits, so sequences commit in order and the feed never skips one.</summary>
    public const int Append = 0x434B_0002;

    /// <summary>Held by every append to the proof log until it commits; taken after <see cref="Append"/> when both are.</summary>
    public const int ProofLog = 0x434B_0003;
}
