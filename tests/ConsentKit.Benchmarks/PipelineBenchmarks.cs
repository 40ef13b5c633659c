using BenchmarkDotNet.Attributes;
using ConsentKit.Snapshots;
using ConsentKit.Sqlite;
using DuckDB.NET.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// 1M records (posts) over 100k subjects against the SQLite store: the consent filter, the gate asked
/// once per record, a raw SQL join in SQLite (the floor), and the data-lake path: a consent snapshot
/// (Parquet) joined in DuckDB, with and without writing the snapshot.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private const int Subjects = 100_000;
    private const int Records = 1_000_000;

    private string _directory = string.Empty;
    private ServiceProvider _provider = null!;
    private (long Id, string Author)[] _posts = [];
    private string _connectionString = string.Empty;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "consentkit-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _connectionString = $"Data Source={Path.Combine(_directory, "consent.db")}";
        var services = new ServiceCollection();
        services.AddConsentKit(o => o.CacheSizeLimit = Subjects * 2).AddStandardPurposes().UseSqliteStore(_connectionString).AddSnapshots();
        _provider = services.BuildServiceProvider();
        var store = _provider.GetRequiredService<SqliteConsentStore>();
        var authors = Enumerable.Range(0, Subjects).Select(i => $"member-{i:D6}").ToArray();

        // Half the members opted in; a tenth of those withdrew later.
        var history = BenchmarkData.HalfOptedInATenthWithdrew(authors, DateTimeOffset.UtcNow);

        foreach (var chunk in history.Chunk(10_000))
        {
            await store.AppendManyAsync(chunk);
        }

        var random = new Random(7);
        _posts = Enumerable.Range(0, Records).Select(i => ((long)i, authors[random.Next(Subjects)])).ToArray();

        // The same posts in the database, for the raw join.
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var transaction = connection.BeginTransaction();
        using (var create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = "CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id TEXT NOT NULL);";
            create.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO posts (id, author_id) VALUES ($id, $author);";
        var id = insert.Parameters.Add("$id", SqliteType.Integer);
        var author = insert.Parameters.Add("$author", SqliteType.Text);
        foreach (var post in _posts)
        {
            id.Value = post.Id;
            author.Value = post.Author;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();

        // The same posts in DuckDB (an engine a data-lake job would use), and one snapshot to join against.
        _duck = new DuckDBConnection("DataSource=:memory:");
        _duck.Open();
        Create(_duck, "CREATE TABLE posts (id BIGINT, author_id VARCHAR)").Dispose();

        using (var rows = _duck.CreateAppender("posts"))
        {
            foreach (var post in _posts)
            {
                rows.CreateRow().AppendValue(post.Id).AppendValue(post.Author).EndRow();
            }
        }

        _snapshotPath = Path.Combine(_directory, "allowed.parquet");
        await using var file = File.Create(_snapshotPath);
        await _provider.GetRequiredService<IConsentSnapshots>().CreateAsync(
            new ConsentSnapshotRequest { PurposeId = ConsentPurposes.GenerativeAiTraining, DataUseId = "bench-snapshot", Description = "bench" }, file);
    }

    private DuckDBConnection _duck = null!;
    private string _snapshotPath = string.Empty;
    private int _snapshotRuns;

    private static DuckDBCommand Create(DuckDBConnection duck, string sql)
    {
        var command = duck.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
        return command;
    }

    [Benchmark(Description = "DuckDB join against a consent snapshot (Parquet)")]
    public long DuckDbJoin()
    {
        using var command = _duck.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM posts p JOIN read_parquet('{_snapshotPath}') a ON p.author_id = a.subject_id";
        return (long)command.ExecuteScalar()!;
    }

    [Benchmark(Description = "Consent snapshot written + DuckDB join")]
    public async Task<long> SnapshotAndDuckDbJoin()
    {
        var path = Path.Combine(_directory, "run.parquet");
        await using (var file = File.Create(path))
        {
            await _provider.GetRequiredService<IConsentSnapshots>().CreateAsync(
                new ConsentSnapshotRequest { PurposeId = ConsentPurposes.GenerativeAiTraining, DataUseId = $"bench-{++_snapshotRuns}-{Guid.NewGuid():N}", Description = "bench" }, file);
        }

        using var command = _duck.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM posts p JOIN read_parquet('{path}') a ON p.author_id = a.subject_id";
        return (long)command.ExecuteScalar()!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _duck.Dispose();
        _provider.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "ConsentFilter.WhereConsented (automatic: one snapshot)")]
    public async Task<long> Filter()
    {
        var filter = _provider.GetRequiredService<ConsentFilter>();
        long kept = 0;
        await foreach (var _ in _posts.WhereConsented(filter, p => p.Author, ConsentPurposes.GenerativeAiTraining))
        {
            kept++;
        }

        return kept;
    }

    [Benchmark(Description = "ConsentFilter.WhereConsented (by subject: batched bulk lookups)")]
    public async Task<long> FilterBySubject()
    {
        var filter = _provider.GetRequiredService<ConsentFilter>();
        long kept = 0;
        await foreach (var _ in _posts.WhereConsented(filter, p => p.Author, ConsentPurposes.GenerativeAiTraining, new ConsentFilterOptions { BatchSize = 16_384, Lookup = ConsentFilterLookup.BySubject }))
        {
            kept++;
        }

        return kept;
    }

    [Benchmark(Description = "IConsentGate.CheckAsync per record (cold cache)")]
    public async Task<long> GatePerRecord()
    {
        var gate = _provider.GetRequiredService<IConsentGate>();
        ((IConsentCacheInvalidator)gate).InvalidateAll();
        long kept = 0;
        foreach (var post in _posts)
        {
            if ((await gate.CheckAsync(post.Author, ConsentPurposes.GenerativeAiTraining)).IsAllowed)
            {
                kept++;
            }
        }

        return kept;
    }

    [Benchmark(Description = "Raw SQL join in SQLite (the floor)")]
    public long RawJoin()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT p.id, p.author_id, e.sequence FROM posts p " +
            "JOIN consent_subjects r ON r.subject_id = p.author_id " +
            "JOIN consent_current c ON c.subject_key = r.subject_key AND c.purpose_id = 'ai-training.generative' " +
            "JOIN consent_events e ON e.sequence = c.sequence " +
            "WHERE e.status = 1 AND e.notice_version = '1' AND (e.expires_at IS NULL OR e.expires_at > $now) ORDER BY p.id;";
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.UtcTicks);
        using var reader = command.ExecuteReader();
        long kept = 0;
        while (reader.Read())
        {
            _ = reader.GetInt64(0);
            _ = reader.GetString(1);
            kept++;
        }

        return kept;
    }
}
