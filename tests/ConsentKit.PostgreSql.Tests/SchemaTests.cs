using FluentAssertions;
using Npgsql;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>What the database itself refuses, whoever connects: the history is append-only everywhere.</summary>
public sealed class SchemaTests(SchemaFixture schema) : IClassFixture<SchemaFixture>
{
    [Theory]
    [InlineData("UPDATE {s}.consent_events SET status = 1")]
    [InlineData("DELETE FROM {s}.consent_events")]
    [InlineData("TRUNCATE {s}.consent_events CASCADE")]
    [InlineData("UPDATE {s}.consent_current SET sequence = (SELECT min(sequence) FROM {s}.consent_events)")]
    [InlineData("DELETE FROM {s}.consent_current")]
    [InlineData("INSERT INTO {s}.consent_current (subject_key, purpose_id, sequence) SELECT '\\x00000000000000000000000000000000'::bytea, purpose_id, sequence FROM {s}.consent_events LIMIT 1")]
    [InlineData("UPDATE {s}.consent_notices SET text = 'rewritten'")]
    [InlineData("DELETE FROM {s}.consent_notices")]
    [InlineData("TRUNCATE {s}.consent_notices")]
    [InlineData("TRUNCATE {s}.consent_current")]
    [InlineData("DELETE FROM {s}.data_uses")]
    [InlineData("TRUNCATE {s}.data_uses CASCADE")]
    [InlineData("UPDATE {s}.data_uses SET description = 'rewritten' WHERE status <> 1")]
    [InlineData("UPDATE {s}.data_use_subjects SET consent_sequence = 0")]
    [InlineData("DELETE FROM {s}.data_use_subjects")]
    [InlineData("TRUNCATE {s}.data_use_subjects")]
    public async Task ChangingHistory_IsRefusedByTheDatabase_AndChangesNothing(string statement)
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);
        var before = await SnapshotAsync(ct);

        var act = () => TestServer.ExecuteAsync(statement.Replace("{s}", schema.Schema, StringComparison.Ordinal), ct);

        (await act.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be(PostgresErrorCodes.RestrictViolation);
        (await SnapshotAsync(ct)).Should().Be(before);
    }

    [Fact]
    public async Task AGrantNotMadeByTheSubject_IsRefusedByTheDatabaseToo()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);

        var act = () => TestServer.ExecuteAsync(
            $"INSERT INTO {schema.Schema}.consent_events (sequence, previous_sequence, subject_key, purpose_id, status, notice_version, notice_digest, recorded_at, method, metadata, hash) " +
            $"SELECT max(sequence) + 1, max(sequence), '\\x00000000000000000000000000000000', 'ai-training', 1, '1', sha256(''), 0, 4, '', sha256('') FROM {schema.Schema}.consent_events;", ct);

        (await act.Should().ThrowAsync<PostgresException>()).Which.SqlState.Should().Be(PostgresErrorCodes.CheckViolation);
    }

    [Fact]
    public async Task ASchemaNewerThanThisCode_StopsTheStore_AndIsLeftAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        var fresh = TestServer.NewSchemaName();
        try
        {
            await TestServer.ExecuteAsync($"CREATE SCHEMA {fresh}; CREATE TABLE {fresh}.consentkit_schema (id integer PRIMARY KEY, version integer NOT NULL); INSERT INTO {fresh}.consentkit_schema VALUES (1, 99);", ct);
            await using var store = new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = TestServer.ConnectionString, SchemaName = fresh });

            var act = async () => await store.InitializeAsync(ct);

            (await act.Should().ThrowAsync<ConsentStoreException>()).Which.Message.Should().Contain("99").And.Contain(fresh).And.Contain("Upgrade");
            (await TestServer.ScalarAsync<long>($"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{fresh}';", ct)).Should().Be(1);
        }
        finally
        {
            await TestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {fresh} CASCADE;");
        }
    }

    [Fact]
    public async Task ASchemaAtVersion2_GetsItsProofLogAndCounter_AndItsOldHeadsStillVerify()
    {
        var ct = TestContext.Current.CancellationToken;
        var fresh = TestServer.NewSchemaName();
        try
        {
            await using (var connection = new Npgsql.NpgsqlConnection(TestServer.ConnectionString))
            {
                await connection.OpenAsync(ct);
                await PostgreSqlSchema.MigrateAsync(connection, fresh, ct, targetVersion: 1);
            }

            await TestServer.ExecuteAsync(
                $"""
                INSERT INTO {fresh}.consent_events (sequence, subject_id, purpose_id, status, notice_version, recorded_at, method) OVERRIDING SYSTEM VALUE VALUES
                    (1, 'alice', 'ai-training.generative', 1, '1', 638975232000000000, 1),
                    (2, 'bob', 'ai-training.generative', 1, '1', 638975232000000000, 1),
                    (3, 'carol', 'ai-training.generative', 1, '1', 638975232000000000, 1);
                INSERT INTO {fresh}.data_uses (id, purpose_id, description, started_at, status, subject_count) VALUES ('run-1', 'ai-training.generative', 'old run', 0, 1, 2);
                INSERT INTO {fresh}.data_use_subjects (data_use_id, subject_id, consent_sequence) VALUES ('run-1', 'alice', 1), ('run-1', 'carol', 3);
                """,
                ct);
            await using (var connection = new Npgsql.NpgsqlConnection(TestServer.ConnectionString))
            {
                await connection.OpenAsync(ct);
                await PostgreSqlSchema.MigrateAsync(connection, fresh, ct, targetVersion: 2);
            }

            // Carol erased while the store was at version 2: her registry row gone, no proof log yet.
            await TestServer.ExecuteAsync($"DELETE FROM {fresh}.consent_subjects WHERE subject_id = 'carol';", ct);
            var oldHead = $"consentkit-chain-head:v1:3:{await TestServer.ScalarAsync<string>($"SELECT encode(hash, 'hex') FROM {fresh}.consent_events WHERE sequence = 3;", ct)}";

            await using var store = new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = TestServer.ConnectionString, SchemaName = fresh });
            var verified = await new ConsentHistoryVerifier(store, store).VerifyAsync(ConsentChainHead.Parse(oldHead), ct);
            var log = await store.GetProofLogAsync(0, 100, ct);

            verified.IsValid.Should().BeTrue(verified.ToString());
            log.Select(e => e.Kind).Should().Equal(
                ConsentProofEntryKind.SubjectRegistered, ConsentProofEntryKind.SubjectRegistered, ConsentProofEntryKind.SubjectErased,
                ConsentProofEntryKind.DataUseStarted, ConsentProofEntryKind.DataUseSubjectsAdded);
            (await store.GetSequenceCounterAsync(ct)).Should().Be(3);
            (await store.AppendAsync(new NewConsentRecord("dave", "ai-training.generative", ConsentStatus.Granted, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.SubjectUserInterface), ct))
                .Sequence.Should().Be(4);
            (await store.GetSequenceCounterAsync(ct)).Should().Be(4, "the append trigger raises the counter");
            (await new ConsentHistoryVerifier(store, store).VerifyAsync(cancellationToken: ct)).IsValid.Should().BeTrue();
        }
        finally
        {
            await TestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {fresh} CASCADE;");
        }
    }

    [Fact]
    public async Task ASchemaAtVersion1_IsMigratedIntoAVerifyingChain_KeepingSequencesGapsAndMetadata()
    {
        var ct = TestContext.Current.CancellationToken;
        var fresh = TestServer.NewSchemaName();
        try
        {
            await using (var connection = new Npgsql.NpgsqlConnection(TestServer.ConnectionString))
            {
                await connection.OpenAsync(ct);
                await PostgreSqlSchema.MigrateAsync(connection, fresh, ct, targetVersion: 1);
            }

            // Version 1: subject ids and jsonb metadata in the log; sequence 3 and 4 lost to failed appends.
            await TestServer.ExecuteAsync(
                $"""
                INSERT INTO {fresh}.consent_events (sequence, subject_id, purpose_id, status, notice_version, recorded_at, method, metadata) OVERRIDING SYSTEM VALUE VALUES
                    (1, 'alice', 'ai-training.generative', 1, '1', 638975232000000000, 1, '{"{"}"ip": "192.0.2.1"{"}"}'),
                    (2, 'bob', 'ai-training.generative', 1, '1', 638975232000000000, 1, NULL),
                    (5, 'alice', 'ai-training.generative', 3, '1', 638975233000000000, 1, NULL);
                INSERT INTO {fresh}.data_uses (id, purpose_id, description, started_at, status) VALUES ('run-1', 'ai-training.generative', 'old run', 0, 1);
                INSERT INTO {fresh}.data_use_subjects (data_use_id, subject_id, consent_sequence) VALUES ('run-1', 'alice', 1);
                """,
                ct);

            await using var store = new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = TestServer.ConnectionString, SchemaName = fresh });
            var history = await store.GetHistoryAsync("alice", ct);

            (await store.GetSchemaVersionAsync(ct)).Should().Be(PostgreSqlSchema.LatestVersion);
            history.Select(r => r.Sequence).Should().Equal(1, 5);
            history[0].Metadata.Should().Equal(new Dictionary<string, string> { ["ip"] = "192.0.2.1" });
            (await store.GetCurrentAsync("alice", ct)).Should().ContainSingle().Which.Status.Should().Be(ConsentStatus.Withdrawn);
            (await store.FindBySubjectAsync("alice", cancellationToken: ct)).Should().ContainSingle().Which.Id.Should().Be("run-1");
            var verified = await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: ct);
            verified.IsValid.Should().BeTrue(verified.ToString());
            verified.RecordsChecked.Should().Be(3);
            (await store.AppendAsync(new NewConsentRecord("carol", "ai-training.generative", ConsentStatus.Granted, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.SubjectUserInterface), ct))
                .Sequence.Should().Be(6, "the chain continues after the highest migrated sequence");
            (await TestServer.ScalarAsync<long>($"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{fresh}' AND table_name LIKE '%_v1';", ct)).Should().Be(0);
        }
        finally
        {
            await TestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {fresh} CASCADE;");
        }
    }

    [Fact]
    public async Task TheReadableView_ShowsNamesAndTimes()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);

        (await TestServer.ScalarAsync<string>($"SELECT status || ' ' || method || ' ' || to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM {schema.Schema}.consent_events_readable WHERE subject_id = 'seed' ORDER BY sequence LIMIT 1;", ct))
            .Should().Be("granted subject-user-interface 2026-11-01");
    }

    private async Task SeedAsync(CancellationToken ct)
    {
        await using var store = schema.CreateStore();
        if (await store.GetHistoryAsync("seed", ct) is { Count: > 0 })
        {
            return;
        }

        var at = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        await store.SaveNoticesAsync([new ConsentNotice { PurposeId = "ai-training", NoticeVersion = "1", DisplayName = "AI training", Text = "Seed notice." }], at, ct);
        var grant = await store.AppendAsync(new NewConsentRecord("seed", "ai-training", ConsentStatus.Granted, "1", at, null, ConsentMethod.SubjectUserInterface), ct);
        await store.AppendAsync(new NewConsentRecord("seed", "ai-training", ConsentStatus.Withdrawn, "1", at.AddMinutes(1), null, ConsentMethod.SubjectUserInterface), ct);
        await store.StartAsync(new NewDataUse { Id = "seed-run", PurposeId = "ai-training", Description = "seed", StartedAt = at }, ct);
        await store.AddSubjectsAsync("seed-run", [new DataUseSubject { SubjectId = "seed", ConsentSequence = grant.Sequence }], ct);
        await store.CompleteAsync("seed-run", at, 1, 1, ct);
    }

    private async Task<string> SnapshotAsync(CancellationToken ct) =>
        await TestServer.ScalarAsync<string>(
            $"SELECT (SELECT string_agg(sequence || ':' || status, ',' ORDER BY sequence) FROM {schema.Schema}.consent_events) || '|' || " +
            $"(SELECT string_agg(encode(subject_key, 'hex') || ':' || purpose_id || ':' || sequence, ',' ORDER BY subject_key, purpose_id) FROM {schema.Schema}.consent_current) || '|' || " +
            $"(SELECT string_agg(purpose_id || ':' || notice_version || ':' || text, ',' ORDER BY purpose_id, notice_version) FROM {schema.Schema}.consent_notices) || '|' || " +
            $"(SELECT string_agg(id || ':' || status || ':' || description || ':' || subject_count, ',' ORDER BY id) FROM {schema.Schema}.data_uses) || '|' || " +
            $"(SELECT string_agg(data_use_id || ':' || encode(subject_key, 'hex') || ':' || consent_sequence, ',' ORDER BY data_use_id, subject_key) FROM {schema.Schema}.data_use_subjects);",
            ct);
}
