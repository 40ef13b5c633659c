using FluentAssertions;

namespace ConsentKit.Sqlite.Tests;

/// <summary>Real child processes, killed with SIGKILL, against a real database file.</summary>
public sealed class DurabilityTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task EveryAcknowledgedAppend_SurvivesSigkill_AndTheFileStaysIntact()
    {
        var ct = TestContext.Current.CancellationToken;
        using (var store = _database.CreateStore())
        {
            await store.InitializeAsync(ct);
        }

        var random = new Random(20261126);
        var acknowledged = new List<long>();
        const int rounds = 50;
        for (var round = 0; round < rounds; round++)
        {
            using var worker = WorkerProcess.Start("loop", _database.Path, $"round{round}");
            var reached = await worker.WaitForAcksAsync(random.Next(1, 40), ct);
            reached.Should().BeTrue("the worker must be appending when it is killed (round {0})", round);
            await worker.KillAndDrainAsync(ct);
            acknowledged.AddRange(worker.Acknowledged);

            RawString("PRAGMA integrity_check;").Should().Be("ok", "round {0}", round);
        }

        var stored = ReadSequences();
        stored.Should().Contain(acknowledged, "an append that returned must survive the process being killed");
        acknowledged.Should().OnlyHaveUniqueItems();
        TestContext.Current.SendDiagnosticMessage($"{rounds} SIGKILL rounds, {acknowledged.Count} acknowledged appends, {stored.Count} rows");
    }

    [Fact]
    public async Task TwoProcessesAppendingAtOnce_LoseNothing_AndSequencesAreUnique()
    {
        var ct = TestContext.Current.CancellationToken;
        const int perWorker = 150;
        using var first = WorkerProcess.Start("count", _database.Path, "first", perWorker.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var second = WorkerProcess.Start("count", _database.Path, "second", perWorker.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var errors = await Task.WhenAll(first.DrainAsync(ct), second.DrainAsync(ct));

        first.ExitCode.Should().Be(0, errors[0]);
        second.ExitCode.Should().Be(0, errors[1]);
        var acknowledged = first.Acknowledged.Concat(second.Acknowledged).ToList();
        acknowledged.Should().HaveCount(2 * perWorker).And.OnlyHaveUniqueItems();
        ReadSequences().Should().BeEquivalentTo(acknowledged);
        _database.Scalar("SELECT COUNT(*) FROM consent_current;").Should().Be(2 * 97);
    }

    [Fact]
    public async Task EveryConnectionTheStoreOpens_IsWalWithSynchronousFull()
    {
        // SIGKILL cannot tell a fsync from a page cache write; these settings are what make an
        // acknowledged append survive a power cut, so assert them on the writer and on a reader.
        var ct = TestContext.Current.CancellationToken;
        using var store = _database.CreateStore();
        await store.AppendAsync(new NewConsentRecord("alice", ConsentPurposes.Analytics, ConsentStatus.Refused, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.SubjectUserInterface), ct);
        using var reader = store.OpenReader();

        foreach (var connection in new[] { store.WriterConnection!, reader })
        {
            Pragma(connection, "journal_mode").Should().Be("wal");
            Pragma(connection, "synchronous").Should().Be("2", "2 is FULL: every commit is fsynced");
            Pragma(connection, "secure_delete").Should().Be("1");
            Pragma(connection, "busy_timeout").Should().NotBe("0");
        }
    }

    private static string Pragma(Microsoft.Data.Sqlite.SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private List<long> ReadSequences()
    {
        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence FROM consent_events;";
        using var reader = command.ExecuteReader();
        var result = new List<long>();
        while (reader.Read())
        {
            result.Add(reader.GetInt64(0));
        }

        return result;
    }

    private string RawString(string sql)
    {
        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)command.ExecuteScalar()!;
    }

    public void Dispose() => _database.Dispose();
}
