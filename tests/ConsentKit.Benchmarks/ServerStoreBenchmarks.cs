using BenchmarkDotNet.Attributes;
using ConsentKit.PostgreSql;
using ConsentKit.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ConsentKit.Benchmarks;

/// <summary>
/// SQLite and PostgreSQL side by side, both durable (SQLite: WAL + synchronous=FULL; PostgreSQL:
/// fsync and synchronous_commit on): appends from 16 concurrent writers, the bulk current state of 100k
/// subjects, and the pipeline filter (1M records over 100k authors).
/// </summary>
[MemoryDiagnoser]
public class ServerStoreBenchmarks
{
    private const int Subjects = 100_000;
    private const int Records = 1_000_000;
    private const int Writers = 16;
    private const int AppendsPerWriter = 100;

    private string _directory = string.Empty;
    private string _schema = string.Empty;
    private ServiceProvider _provider = null!;
    private IConsentStore _store = null!;
    private string[] _ids = [];
    private (long Id, string Author)[] _posts = [];
    private long _round;

    [Params("sqlite", "postgresql")]
    public string Store { get; set; } = "sqlite";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var services = new ServiceCollection();
        var kit = services.AddConsentKit(o => o.CacheSizeLimit = Subjects * 2).AddStandardPurposes();
        if (Store == "sqlite")
        {
            _directory = Path.Combine(Path.GetTempPath(), "consentkit-bench", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_directory);
            kit.UseSqliteStore($"Data Source={Path.Combine(_directory, "consent.db")}");
        }
        else
        {
            _schema = BenchmarkServer.NewSchemaName();
            kit.UsePostgreSqlStore(o =>
            {
                o.ConnectionString = BenchmarkServer.ConnectionString;
                o.SchemaName = _schema;
            });
        }

        _provider = services.BuildServiceProvider();
        _store = _provider.GetRequiredService<IConsentStore>();
        _ids = Enumerable.Range(0, Subjects).Select(i => $"member-{i:D6}").ToArray();

        // As an app does through the recorder: the notices are kept before the first record is written.
        await _store.SaveNoticesAsync([.. _provider.GetRequiredService<ConsentPurposeCatalog>().Purposes.Select(ConsentNotice.For)], DateTimeOffset.UnixEpoch);

        // Half the members opted in; a tenth of those withdrew later.
        var history = BenchmarkData.HalfOptedInATenthWithdrew(_ids, DateTimeOffset.UnixEpoch, "bench");

        foreach (var chunk in history.Chunk(10_000))
        {
            await _store.AppendManyAsync(chunk);
        }

        var random = new Random(7);
        _posts = Enumerable.Range(0, Records).Select(i => ((long)i, _ids[random.Next(Subjects)])).ToArray();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        if (Store == "sqlite")
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
        else
        {
            await using var connection = new NpgsqlConnection(BenchmarkServer.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE;", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Benchmark(OperationsPerInvoke = Writers * AppendsPerWriter, Description = "16 writers, AppendAsync each (per append)")]
    public async Task Append16Writers()
    {
        var round = Interlocked.Increment(ref _round);
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < AppendsPerWriter; i++)
            {
                await _store.AppendAsync(Record($"writer-{w}-{round % 1000}-{i % 10}", i % 2 == 0 ? ConsentStatus.Granted : ConsentStatus.Withdrawn));
            }
        })));
    }

    [Benchmark(Description = "GetCurrentManyAsync, 100k subjects")]
    public async Task<int> BulkRead100k() => (await _store.GetCurrentManyAsync(_ids)).Count;

    [Benchmark(Description = "ConsentFilter, 1M records / 100k authors")]
    public async Task<long> Pipeline()
    {
        var filter = _provider.GetRequiredService<ConsentFilter>();
        var kept = 0L;
        await foreach (var _ in _posts.WhereConsented(filter, p => p.Author, ConsentPurposes.GenerativeAiTraining, new ConsentFilterOptions { BatchSize = 16_384 }))
        {
            kept++;
        }

        return kept;
    }

    private static NewConsentRecord Record(string subject, ConsentStatus status) => new(
        subject, ConsentPurposes.GenerativeAiTraining, status, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.SubjectUserInterface, "bench");
}
