using BenchmarkDotNet.Attributes;
using ConsentKit.PostgreSql;
using ConsentKit.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ConsentKit.Benchmarks;

/// <summary>
/// What the tamper-evident history costs to check: <see cref="ConsentHistoryVerifier"/> over 100k records
/// (50k subjects, a grant and a withdrawal each), in memory, on SQLite and on PostgreSQL.
/// </summary>
[MemoryDiagnoser]
public class HistoryProofBenchmarks
{
    private const int Subjects = 50_000;

    private string _directory = string.Empty;
    private string _schema = string.Empty;
    private IConsentStore _store = null!;

    [Params("memory", "sqlite", "postgresql")]
    public string Store { get; set; } = "memory";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        switch (Store)
        {
            case "memory":
                _store = new InMemoryConsentStore();
                break;
            case "sqlite":
                _directory = Path.Combine(Path.GetTempPath(), "consentkit-bench", Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(_directory);
                _store = new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = $"Data Source={Path.Combine(_directory, "consent.db")}" });
                break;
            default:
                _schema = BenchmarkServer.NewSchemaName();
                _store = new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = BenchmarkServer.ConnectionString, SchemaName = _schema });
                break;
        }

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
    public async Task CleanupAsync()
    {
        switch (_store)
        {
            case SqliteConsentStore sqlite:
                sqlite.Dispose();
                SqliteConnection.ClearAllPools();
                Directory.Delete(_directory, recursive: true);
                break;
            case PostgreSqlConsentStore postgres:
                await postgres.DisposeAsync();
                await using (var connection = new NpgsqlConnection(BenchmarkServer.ConnectionString))
                {
                    await connection.OpenAsync();
                    await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE;", connection);
                    await drop.ExecuteNonQueryAsync();
                }

                break;
        }
    }

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
