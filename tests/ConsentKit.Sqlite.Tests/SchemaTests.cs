using FluentAssertions;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite.Tests;

public sealed class SchemaTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task EmptyFile_IsMigratedToTheLatestSchema_InWalMode()
    {
        using var store = _database.CreateStore();

        await store.InitializeAsync(TestContext.Current.CancellationToken);

        _database.Scalar("SELECT version FROM consentkit_schema;").Should().Be(SqliteSchema.LatestVersion);
        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        ((string)command.ExecuteScalar()!).Should().Be("wal");
    }

    [Fact]
    public async Task ReadableView_ShowsTimesAndNamesAsText()
    {
        using (var store = _database.CreateStore())
        {
            await store.AppendAsync(Grant("alice"), TestContext.Current.CancellationToken);
        }

        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT status || ' ' || method || ' ' || recorded_at FROM consent_events_readable;";

        ((string)command.ExecuteScalar()!).Should().Be("granted subject-user-interface 2026-11-01T12:00:00.000Z");
    }

    [Fact]
    public async Task InitializingTwice_AndFromTwoStores_IsHarmless()
    {
        using var first = _database.CreateStore();
        using var second = _database.CreateStore();

        await Task.WhenAll(first.InitializeAsync().AsTask(), second.InitializeAsync().AsTask(), first.InitializeAsync().AsTask());

        _database.Scalar("SELECT COUNT(*) FROM consentkit_schema;").Should().Be(1);
        _database.Scalar("SELECT version FROM consentkit_schema;").Should().Be(SqliteSchema.LatestVersion);
    }

    [Fact]
    public async Task PreviousSchema_IsMigrated_AndCurrentStateIsBackfilled()
    {
        using (var connection = _database.OpenRaw())
        {
            // Version 4: subject ids and JSON metadata in the event log, no chain.
            SqliteSchema.Migrate(connection, _database.Path, targetVersion: 4);
            InsertV4(connection, "alice", ConsentStatus.Granted, 1, """{"ip":"192.0.2.1"}""");
            InsertV4(connection, "alice", ConsentStatus.Withdrawn, 1);
            InsertV4(connection, "bob", ConsentStatus.Refused, 3);
            using var use = connection.CreateCommand();
            use.CommandText =
                "INSERT INTO data_uses (id, purpose_id, description, started_at, status) VALUES ('run-1', 'ai-training.generative', 'old run', 0, 1);" +
                "INSERT INTO data_use_subjects (data_use_id, subject_id, consent_sequence) VALUES ('run-1', 'alice', 1);";
            use.ExecuteNonQuery();
        }

        using var store = _database.CreateStore();
        var ct = TestContext.Current.CancellationToken;
        var alice = await store.GetCurrentAsync("alice", ct);
        var bob = await store.GetCurrentAsync("bob", ct);

        _database.Scalar("SELECT version FROM consentkit_schema;").Should().Be(SqliteSchema.LatestVersion);
        alice.Should().ContainSingle().Which.Should().Match<ConsentRecord>(r => r.Sequence == 2 && r.Status == ConsentStatus.Withdrawn);
        bob.Should().ContainSingle().Which.Status.Should().Be(ConsentStatus.Refused);
        var history = await store.GetHistoryAsync("alice", ct);
        history.Should().HaveCount(2);
        history[0].Metadata.Should().Equal(new Dictionary<string, string> { ["ip"] = "192.0.2.1" });
        (await store.FindBySubjectAsync("alice", cancellationToken: ct)).Should().ContainSingle().Which.Id.Should().Be("run-1");
        var verified = await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: ct);
        verified.IsValid.Should().BeTrue(verified.ToString());
        verified.RecordsChecked.Should().Be(3);
        _database.Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%_v4';").Should().Be(0);
    }

    [Fact]
    public async Task AVersion5Store_GetsItsProofLog_AndItsOldHeadsStillVerify()
    {
        var ct = TestContext.Current.CancellationToken;
        string oldHead;
        using (var connection = _database.OpenRaw())
        {
            // A store as version 5 left it: records chained, a training set, carol erased — no proof log.
            SqliteSchema.Migrate(connection, _database.Path, targetVersion: 4);
            InsertV4(connection, "alice", ConsentStatus.Granted, 1);
            InsertV4(connection, "bob", ConsentStatus.Granted, 1);
            InsertV4(connection, "carol", ConsentStatus.Granted, 1);
            using (var use = connection.CreateCommand())
            {
                use.CommandText =
                    "INSERT INTO data_uses (id, purpose_id, description, started_at, ended_at, status, subject_count, items_seen, items_kept) VALUES ('run-1', 'ai-training.generative', 'old run', 0, 1, 2, 2, 5, 2);" +
                    "INSERT INTO data_use_subjects (data_use_id, subject_id, consent_sequence) VALUES ('run-1', 'alice', 1), ('run-1', 'carol', 3);";
                use.ExecuteNonQuery();
            }

            SqliteSchema.Migrate(connection, _database.Path, targetVersion: 5);
            SqliteSchema.Execute(connection, "DELETE FROM consent_subjects WHERE subject_id = 'carol';");
            using var head = connection.CreateCommand();
            head.CommandText = "SELECT lower(hex(hash)) FROM consent_events WHERE sequence = 3;";
            oldHead = $"consentkit-chain-head:v1:3:{head.ExecuteScalar()}";
        }

        using var store = _database.CreateStore();
        var verifier = new ConsentHistoryVerifier(store, store);

        var migrated = await verifier.VerifyAsync(ConsentChainHead.Parse(oldHead), ct);
        var log = await store.GetProofLogAsync(0, 100, ct);

        migrated.IsValid.Should().BeTrue(migrated.ToString());
        migrated.Head.Sequence.Should().Be(3, "no record was re-hashed: a head kept before the upgrade still anchors");
        log.Select(e => e.Kind).Should().Equal(
            ConsentProofEntryKind.SubjectRegistered, ConsentProofEntryKind.SubjectRegistered, ConsentProofEntryKind.SubjectErased,
            ConsentProofEntryKind.DataUseStarted, ConsentProofEntryKind.DataUseSubjectsAdded, ConsentProofEntryKind.DataUseEnded);
        _database.Scalar("SELECT COUNT(*) FROM consent_events WHERE previous_hash IS NULL;").Should().Be(0);

        // Schema 7 rebuilt the log for the lineage kinds: its rows and its numbering carry on.
        (await store.AppendLineageAsync(ConsentProofEntryKind.ArtifactEvent, null, new byte[] { 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, ct))
            .Sequence.Should().Be(7, "the log's sequence continues after the migrated entries");
        (await store.GetLineageAsync(0, 10, ct)).Select(e => e.Sequence).Should().Equal(7);
        (await store.GetProofLogAsync(0, 100, ct)).Take(6).Select(e => e.Hash.ToArray()).Should().BeEquivalentTo(log.Select(e => e.Hash.ToArray()), o => o.WithStrictOrdering());

        // Subjects registered before the upgrade are bound too: a swap is found, and refused on read.
        SqliteConnection.ClearAllPools();
        using (var connection = _database.OpenRaw())
        {
            SqliteSchema.Execute(connection, "UPDATE consent_subjects SET subject_id = 'x' WHERE subject_id = 'alice'; UPDATE consent_subjects SET subject_id = 'alice' WHERE subject_id = 'bob'; UPDATE consent_subjects SET subject_id = 'bob' WHERE subject_id = 'x';");
        }

        (await verifier.VerifyAsync(cancellationToken: ct)).Problem.Should().Be(ConsentVerificationProblem.SubjectRegistryChanged);
        var read = async () => await store.GetCurrentAsync("bob", ct);
        await read.Should().ThrowAsync<ConsentStoreIntegrityException>();
    }

    [Fact]
    public async Task NewerSchema_FailsClearly_AndLeavesTheFileAlone()
    {
        using (var store = _database.CreateStore())
        {
            await store.AppendAsync(Grant("alice"), TestContext.Current.CancellationToken);
        }

        SqliteConnection.ClearAllPools();
        using (var connection = _database.OpenRaw())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE consentkit_schema SET version = 99;";
            command.ExecuteNonQuery();
        }

        using var newer = _database.CreateStore();
        var act = async () => await newer.GetCurrentAsync("alice");

        (await act.Should().ThrowAsync<ConsentStoreException>()).Which.Message.Should()
            .Contain("schema version 99").And.Contain(_database.Path).And.Contain("Upgrade ConsentKit.Sqlite");
        _database.Scalar("SELECT version FROM consentkit_schema;").Should().Be(99);
        _database.Scalar("SELECT COUNT(*) FROM consent_events;").Should().Be(1);
    }

    [Theory]
    [InlineData("UPDATE consent_events SET status = 1 WHERE sequence = 1;")]
    [InlineData("UPDATE consent_events SET subject_key = zeroblob(16);")]
    [InlineData("DELETE FROM consent_events WHERE sequence = 1;")]
    [InlineData("DELETE FROM consent_events;")]
    public async Task UpdateOrDelete_OnTheEventLog_IsRefusedByTheDatabase(string sql)
    {
        using (var store = _database.CreateStore())
        {
            await store.AppendAsync(Refusal("alice"), TestContext.Current.CancellationToken);
        }

        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var act = () => command.ExecuteNonQuery();

        act.Should().Throw<SqliteException>().Which.Message.Should().Contain("append-only");
        _database.Scalar("SELECT COUNT(*) FROM consent_events_readable WHERE subject_id = 'alice' AND status = 'refused';").Should().Be(1);
    }

    [Fact]
    public async Task GrantByAnOperator_IsRefusedByTheDatabaseToo()
    {
        using (var store = _database.CreateStore())
        {
            await store.InitializeAsync(TestContext.Current.CancellationToken);
        }

        using var connection = _database.OpenRaw();
        var act = () => Insert(connection, "alice", ConsentStatus.Granted, 1, ConsentMethod.Operator);

        act.Should().Throw<SqliteException>().Which.Message.Should().Contain("CHECK constraint failed");
    }

    [Fact]
    public async Task CurrentStateReads_SeekTheSubjectsLatestRecords_NeverScan()
    {
        using (var store = _database.CreateStore())
        {
            await store.InitializeAsync(TestContext.Current.CancellationToken);
        }

        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText =
            "EXPLAIN QUERY PLAN SELECT e.* FROM (SELECT s.subject_id, s.secret, MAX(x.sequence) AS latest FROM consent_subjects s " +
            "JOIN consent_events x ON x.subject_key = s.subject_key WHERE s.subject_id = 'x' GROUP BY x.subject_key, x.purpose_id) g JOIN consent_events e ON e.sequence = g.latest;";
        using var reader = command.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        plan.Should().Contain(p => p.Contains("SEARCH s USING PRIMARY KEY (subject_id=?)", StringComparison.Ordinal));
        plan.Should().Contain(p => p.Contains("SEARCH x USING COVERING INDEX consent_events_by_subject (subject_key=?)", StringComparison.Ordinal));
        plan.Should().Contain(p => p.Contains("SEARCH e USING INTEGER PRIMARY KEY", StringComparison.Ordinal));
        plan.Should().NotContain(p => p.StartsWith("SCAN consent_", StringComparison.Ordinal) || p.StartsWith("SCAN s", StringComparison.Ordinal) || p.StartsWith("SCAN x", StringComparison.Ordinal) || p.StartsWith("SCAN e", StringComparison.Ordinal));
    }

    private static NewConsentRecord Grant(string subject) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", T0, null, ConsentMethod.SubjectUserInterface);

    private static NewConsentRecord Refusal(string subject) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Refused, "1", T0, null, ConsentMethod.Operator);

    private static void Insert(SqliteConnection connection, string subject, ConsentStatus status, int method, ConsentMethod? methodOverride = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO consent_events (previous_sequence, subject_key, purpose_id, status, notice_version, notice_digest, recorded_at, method, metadata, hash) " +
            "VALUES (0, $s, 'ai-training.generative', $status, '1', zeroblob(32), 638975232000000000, $m, x'', zeroblob(32));";
        command.Parameters.AddWithValue("$s", System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(subject))[..16]);
        command.Parameters.AddWithValue("$status", (int)status);
        command.Parameters.AddWithValue("$m", (int)(methodOverride ?? (ConsentMethod)method));
        command.ExecuteNonQuery();
    }

    private static void InsertV4(SqliteConnection connection, string subject, ConsentStatus status, int method, string? metadata = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO consent_events (subject_id, purpose_id, status, notice_version, recorded_at, method, metadata) VALUES ($s, 'ai-training.generative', $status, '1', 638975232000000000, $m, $meta);";
        command.Parameters.AddWithValue("$s", subject);
        command.Parameters.AddWithValue("$status", (int)status);
        command.Parameters.AddWithValue("$m", method);
        command.Parameters.AddWithValue("$meta", (object?)metadata ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    public void Dispose() => _database.Dispose();
}
