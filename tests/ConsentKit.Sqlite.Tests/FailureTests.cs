using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ConsentKit.Sqlite.Tests;

public sealed class FailureTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task MissingDirectory_FailsClearly()
    {
        var path = Path.Combine(_database.Directory, "does-not-exist", "consent.db");
        using var store = new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = $"Data Source={path}" });

        var act = async () => await store.InitializeAsync();

        (await act.Should().ThrowAsync<ConsentStoreException>()).Which.Message.Should()
            .Contain(path).And.Contain("directory exists and is writable");
    }

    [Fact]
    public async Task ReadOnlyDirectory_FailsClearly_AndTheGateDenies()
    {
        var directory = Path.Combine(_database.Directory, "read-only");
        Directory.CreateDirectory(directory);
        MakeReadOnly(directory);
        try
        {
            var path = Path.Combine(directory, "consent.db");
            using var store = new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = $"Data Source={path}" });

            var act = async () => await store.InitializeAsync();

            (await act.Should().ThrowAsync<ConsentStoreException>()).Which.Message.Should().Contain(path).And.Contain("writable");
            var services = new ServiceCollection();
            services.AddConsentKit().AddStandardPurposes().UseStore(_ => store);
            using var provider = services.BuildServiceProvider();
            (await provider.GetRequiredService<IConsentGate>().CheckAsync("alice", ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken))
                .Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);
            File.Exists(path).Should().BeFalse();
        }
        finally
        {
            MakeWritable(directory);
        }
    }

    // Root ignores permission bits, so as root the directory is made immutable instead (ext4 and most
    // Linux file systems); CI runs as root.
    private static void MakeReadOnly(string directory)
    {
        if (Environment.IsPrivilegedProcess)
        {
            if (Run("chattr", "+i", directory) != 0)
            {
                // CI runs as root on ext4, where this works: there the test must run, not skip.
                var why = $"Running as root and 'chattr +i' is not supported for {directory}, so a read-only directory cannot be made here.";
                if (Environment.GetEnvironmentVariable("CI") == "true")
                {
                    Assert.Fail(why);
                }

                Assert.Skip(why);
            }
        }
        else if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        else
        {
            // CI runs on Linux; on Windows there are no Unix permission bits to make the directory read-only with.
            Assert.Skip("Read-only directories are made with Unix permissions; this test runs on Linux.");
        }
    }

    private static void MakeWritable(string directory)
    {
        if (Environment.IsPrivilegedProcess)
        {
            Run("chattr", "-i", directory);
        }
        else if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static int Run(string command, params string[] args)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(command, args) { RedirectStandardError = true })!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    [Fact]
    public async Task ParentThatIsAFile_FailsClearly()
    {
        var file = Path.Combine(_database.Directory, "not-a-directory");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        using var store = new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = $"Data Source={Path.Combine(file, "consent.db")}" });

        var act = async () => await store.AppendAsync(Refusal("alice"));

        (await act.Should().ThrowAsync<ConsentStoreException>()).Which.Message.Should().Contain("cannot be opened or created");
    }

    [Fact]
    public async Task MissingDirectory_GateDenies_FailClosed()
    {
        var path = Path.Combine(_database.Directory, "gone", "consent.db");
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore($"Data Source={path}");
        using var provider = services.BuildServiceProvider();

        var decision = await provider.GetRequiredService<IConsentGate>().CheckAsync("alice", ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken);

        decision.Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);
    }

    [Fact]
    public async Task MissingDirectory_StopsTheHostAtStart()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit().AddStandardPurposes().UseSqliteStore($"Data Source={Path.Combine(_database.Directory, "gone", "consent.db")}");
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        await act.Should().ThrowAsync<ConsentStoreException>();
    }

    [Fact]
    public async Task ValidPath_IsCreatedWhenTheHostStarts()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString);
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);

        File.Exists(_database.Path).Should().BeTrue();
        _database.Scalar("SELECT version FROM consentkit_schema;").Should().Be(SqliteSchema.LatestVersion);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AnotherWriterHoldingTheLock_AppendFailsClearly_WritesNothing_ButReadsGoOn()
    {
        using var store = _database.CreateStore(busyTimeout: TimeSpan.FromSeconds(1));
        await store.AppendAsync(Refusal("alice"), TestContext.Current.CancellationToken);
        using var holder = _database.OpenRaw();
        using var transaction = holder.BeginTransaction();
        Execute(holder, transaction, "CREATE TABLE lock_probe (x); INSERT INTO lock_probe VALUES (1);");

        var append = async () => await store.AppendAsync(Refusal("bob"));

        (await append.Should().ThrowAsync<ConsentStoreException>()).Which.Message.Should().Contain("locked").And.Contain("busy timeout");
        (await store.GetCurrentAsync("alice", TestContext.Current.CancellationToken)).Should().ContainSingle("WAL readers are not blocked by a writer");
        transaction.Rollback();
        _database.Scalar("SELECT COUNT(*) FROM consent_events_readable WHERE subject_id = 'bob';").Should().Be(0);
    }

    [Fact]
    public async Task FileLockedExclusivelyPastTheBusyTimeout_FailsClearly_AndTheGateDenies()
    {
        using (var first = _database.CreateStore())
        {
            await first.AppendAsync(Refusal("alice"), TestContext.Current.CancellationToken);
        }

        SqliteConnection.ClearAllPools();

        // Another process takes the file for itself: exclusive locking mode plus an open write keeps
        // even WAL readers out until it lets go.
        using var holder = _database.OpenRaw();
        Execute(holder, null, "PRAGMA locking_mode = EXCLUSIVE;");
        using var transaction = holder.BeginTransaction();
        Execute(holder, transaction, "CREATE TABLE lock_probe (x); INSERT INTO lock_probe VALUES (1);");

        using var store = _database.CreateStore(busyTimeout: TimeSpan.FromSeconds(1));
        var append = async () => await store.AppendAsync(Refusal("bob"));
        (await append.Should().ThrowAsync<ConsentStoreException>()).Which.Message.Should().Contain("locked").And.Contain(_database.Path);

        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseStore(_ => store);
        using var provider = services.BuildServiceProvider();
        var decision = await provider.GetRequiredService<IConsentGate>().CheckAsync("alice", ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken);
        decision.Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);

        transaction.Rollback();
        holder.Close();
        _database.Scalar("SELECT COUNT(*) FROM consent_events_readable WHERE subject_id = 'bob';").Should().Be(0);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void InMemoryDataSource_IsRejected()
    {
        var act = () => new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = "Data Source=:memory:" });

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("options");
    }

    private static NewConsentRecord Refusal(string subject) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Refused, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.Operator);

    public void Dispose() => _database.Dispose();
}
