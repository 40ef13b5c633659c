using BenchmarkDotNet.Attributes;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The cold path: the store reads behind a gate miss, a filter batch and a snapshot, each of which checks
/// every record it returns (its hash, its subject's registration) since issue #22. 100k subjects, one grant
/// each (every tenth with metadata), every second one also refused analytics. Run against a tree before
/// and after the change, back to back, for the ratio (docs/performance.md).
/// </summary>
[MemoryDiagnoser]
public class StoreReadCheckBenchmarks
{
    private const int Subjects = 100_000;
    private const int Batch = 4_096;

    private BenchmarkStore _stores = null!;
    private IConsentStore _store = null!;
    private string[][] _batches = [];
    private int _next;

    [Params("sqlite", "postgresql")]
    public string Store { get; set; } = "sqlite";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _stores = new BenchmarkStore(Store);
        _store = _stores.Store;

        var at = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var records = Enumerable.Range(0, Subjects).SelectMany(i =>
        {
            var id = $"member-{i:D6}";
            var grant = new NewConsentRecord(id, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", at, null, ConsentMethod.SubjectUserInterface, "settings-page",
                i % 10 == 0 ? new Dictionary<string, string> { ["ip-country"] = "DE" } : null);
            return i % 2 == 0
                ? new[] { grant, new NewConsentRecord(id, ConsentPurposes.Analytics, ConsentStatus.Refused, "1", at, null, ConsentMethod.SubjectUserInterface) }
                : [grant];
        });
        foreach (var chunk in records.Chunk(10_000))
        {
            await _store.AppendManyAsync(chunk);
        }

        var random = new Random(42);
        _batches = [.. Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, Batch).Select(_ => $"member-{random.Next(Subjects):D6}").ToArray())];
    }

    [GlobalCleanup]
    public ValueTask CleanupAsync() => _stores.DisposeAsync();

    [Benchmark(Description = "GetCurrentAsync, one subject (a gate miss)")]
    public async Task<int> One() => (await _store.GetCurrentAsync($"member-{(_next++ * 7919) % Subjects:D6}")).Count;

    [Benchmark(Description = "GetCurrentManyAsync, 4,096 subjects (a filter batch)")]
    public async Task<int> Many() => (await _store.GetCurrentManyAsync(_batches[_next++ % _batches.Length])).Count;

    [Benchmark(Description = "ScanCurrentAsync, 100k subjects (a snapshot read)")]
    public async Task<int> Scan() => (await _store.ScanCurrentAsync([ConsentPurposes.GenerativeAiTraining, ConsentPurposes.AiTraining])).Records.Count;
}
