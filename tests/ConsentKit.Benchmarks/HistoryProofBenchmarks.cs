using BenchmarkDotNet.Attributes;

namespace ConsentKit.Benchmarks;

/// <summary>
/// What the tamper-evident history costs to check: <see cref="ConsentHistoryVerifier"/> over 100k records
/// (50k subjects, a grant and a withdrawal each; since issue #22 also their 50k registrations in the proof
/// log), in memory, on SQLite and on PostgreSQL.
/// </summary>
[MemoryDiagnoser]
public class HistoryProofBenchmarks
{
    private const int Subjects = 50_000;

    private BenchmarkStore _stores = null!;
    private IConsentStore _store = null!;

    [Params("memory", "sqlite", "postgresql")]
    public string Store { get; set; } = "memory";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _stores = new BenchmarkStore(Store);
        _store = _stores.Store;

        var records = Enumerable.Range(0, Subjects).SelectMany(i => new[]
        {
            Record($"member-{i:D6}", ConsentStatus.Granted, i % 10 == 0 ? new Dictionary<string, string> { ["ip-country"] = "DE" } : null),
            Record($"member-{i:D6}", ConsentStatus.Withdrawn, null),
        });
        foreach (var chunk in records.Chunk(10_000))
        {
            await _store.AppendManyAsync(chunk);
        }
    }

    [GlobalCleanup]
    public ValueTask CleanupAsync() => _stores.DisposeAsync();

    [Benchmark(Description = "VerifyAsync, 100k records")]
    public async Task<long> Verify()
    {
        var result = await new ConsentHistoryVerifier(_store).VerifyAsync();
        return result.IsValid ? result.RecordsChecked : throw new InvalidOperationException(result.ToString());
    }

    private static NewConsentRecord Record(string subject, ConsentStatus status, IReadOnlyDictionary<string, string>? metadata) => new(
        subject, ConsentPurposes.GenerativeAiTraining, status, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.SubjectUserInterface, "bench", metadata);
}

/// <summary>The per-record work the chain adds to an append: the canonical encoding and its SHA-256, and sealing metadata.</summary>
[MemoryDiagnoser]
public class ChainHashBenchmarks
{
    private static readonly Dictionary<string, string> Metadata = new() { ["ip-country"] = "DE", ["ui"] = "settings-page v3" };
    private readonly byte[] _secret = ConsentSubjectSecrets.NewSecret();
    private readonly ConsentChainEntry _entry = new()
    {
        Sequence = 123_456, PreviousSequence = 123_455, SubjectKey = ConsentSubjectSecrets.NewSubjectKey(), PurposeId = ConsentPurposes.GenerativeAiTraining,
        Status = ConsentStatus.Granted, NoticeVersion = "2026-11", NoticeDigest = new byte[32], RecordedAtUtcTicks = DateTimeOffset.UnixEpoch.UtcTicks,
        ExpiresAtUtcTicks = null, Method = ConsentMethod.SubjectUserInterface, Source = "settings-page", SealedMetadata = new byte[60], Hash = ReadOnlyMemory<byte>.Empty,
    };

    [Benchmark(Baseline = true, Description = "JSON of the metadata (what every append already did)")]
    public string Json() => System.Text.Json.JsonSerializer.Serialize(Metadata);

    [Benchmark(Description = "ConsentChain.ComputeHash")]
    public byte[] Hash() => ConsentChain.ComputeHash(_entry, ConsentChain.GenesisHash.Span);

    [Benchmark(Description = "ConsentSubjectSecrets.Seal (2 entries)")]
    public byte[] Seal() => ConsentSubjectSecrets.Seal(Metadata, _secret);
}
