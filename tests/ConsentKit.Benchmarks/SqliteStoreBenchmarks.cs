using BenchmarkDotNet.Attributes;
using ConsentKit.Sqlite;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Benchmarks;

/// <summary>Durable appends (single and batched) and bulk current-state reads on a real SQLite file.</summary>
[MemoryDiagnoser]
public class SqliteStoreBenchmarks
{
    private const int Subjects = 100_000;
    private const int AppendBatch = 10_000;

    private string _directory = string.Empty;
    private SqliteConsentStore _store = null!;
    private string[] _ids = [];
    private NewConsentRecord[] _batch = [];
    private long _counter;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "consentkit-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _store = new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = $"Data Source={Path.Combine(_directory, "consent.db")}" });
        _ids = Enumerable.Range(0, Subjects).Select(i => $"user-{i:D6}").ToArray();
        foreach (var chunk in _ids.Chunk(10_000))
        {
            await _store.AppendManyAsync(chunk.Select(id => Grant(id)).ToArray());
        }

        _batch = Enumerable.Range(0, AppendBatch).Select(i => Grant($"batch-{i}")).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "AppendAsync, one durable transaction per record")]
    public ValueTask<ConsentRecord> AppendSingle() => _store.AppendAsync(Grant($"single-{_counter++ % Subjects}"));

    [Benchmark(OperationsPerInvoke = AppendBatch, Description = "AppendManyAsync, 10k records per durable transaction (per record)")]
    public ValueTask<IReadOnlyList<ConsentRecord>> AppendBatched() => _store.AppendManyAsync(_batch);

    [Benchmark(Description = "GetCurrentManyAsync, 100k subjects")]
    public async Task<int> BulkRead100k() => (await _store.GetCurrentManyAsync(_ids)).Count;

    private static NewConsentRecord Grant(string subject) => new(
        subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.SubjectUserInterface, "bench");
}
