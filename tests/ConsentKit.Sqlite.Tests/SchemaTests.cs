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
            SqliteSchema.Migrate(connection, _database.Path, targetVersion: SqliteSchema.LatestVersion - 1);
            Insert(connection, "alice", ConsentStatus.Granted, 1);
            Insert(connection, "alice", ConsentStatus.Withdrawn, 1);
            Insert(connection, "bob", ConsentStatus.Refused, 3);
        }

        using var store = _database.CreateStore();
        var alice = await store.GetCurrentAsync("alice", TestContext.Current.CancellationToken);
        var bob = await store.GetCurrentAsync("bob", TestContext.Current.CancellationToken);

        _database.Scalar("SELECT version FROM consentkit_schema;").Should().Be(SqliteSchema.LatestVersion);
        alice.Should().ContainSingle().Which.Should().Match<ConsentRecord>(r => r.Sequence == 2 && r.Status == ConsentStatus.Withdrawn);
        bob.Should().ContainSingle().Which.Status.Should().Be(ConsentStatus.Refused);
        (await store.GetHistoryAsync("alice", TestContext.Current.CancellationToken)).Should().HaveCount(2);
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
    [InlineData("UPDATE consent_events SET subject_id = 'mallory';")]
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
        _database.Scalar("SELECT COUNT(*) FROM consent_events WHERE subject_id = 'alice' AND status = 2;").Should().Be(1);
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
    public async Task CurrentStateReads_UseTheCurrentTable_NotAScanOfHistory()
    {
        using (var store = _database.CreateStore())
        {
            await store.InitializeAsync(TestContext.Current.CancellationToken);
        }

        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN SELECT e.* FROM consent_current c JOIN consent_events e ON e.sequence = c.sequence WHERE c.subject_id = 'x';";
        using var reader = command.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        plan.Should().Contain(p => p.Contains("SEARCH c USING PRIMARY KEY", StringComparison.Ordinal));
        plan.Should().Contain(p => p.Contains("SEARCH e USING INTEGER PRIMARY KEY", StringComparison.Ordinal));
        plan.Should().NotContain(p => p.StartsWith("SCAN", StringComparison.Ordinal));
    }

    private static NewConsentRecord Grant(string subject) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", T0, null, ConsentMethod.SubjectUserInterface);

    private static NewConsentRecord Refusal(string subject) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Refused, "1", T0, null, ConsentMethod.Operator);

    private static void Insert(SqliteConnection connection, string subject, ConsentStatus status, int method, ConsentMethod? methodOverride = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            "INSERT INTO consent_events (subject_id, purpose_id, status, notice_version, recorded_at, method) VALUES ($s, 'ai-training.generative', $status, '1', 638975232000000000, $m);";
        command.Parameters.AddWithValue("$s", subject);
        command.Parameters.AddWithValue("$status", (int)status);
        command.Parameters.AddWithValue("$m", (int)(methodOverride ?? (ConsentMethod)method));
        command.ExecuteNonQuery();
    }

    public void Dispose() => _database.Dispose();
}
