using BenchmarkDotNet.Attributes;
using ConsentKit.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The in-process filter at scale (issue #13): 10 records per subject, 100k and 1M subjects, SQLite. The
/// floor is a plain <see cref="HashSet{T}"/> filter over a precomputed allow-list of the same subjects; the
/// filter's rows include reading consent (one snapshot of the purpose). The snapshot read alone and a run
/// recorded in the ledger show where the time goes. Every ConsentFilter row uses the default batch size
/// (4,096) but one: the recorded run again at 65,536, what a larger batch buys a recorded run.
/// </summary>
[MemoryDiagnoser]
public class FilterScaleBenchmarks
{
    private string _directory = string.Empty;
    private ServiceProvider _provider = null!;
    private (long Id, string Author)[] _posts = [];
    private HashSet<string> _allowList = [];
    private HashSet<string> _everySubject = [];
    private int _runs;
    private ConsentPurposeSnapshot _kept = null!;
    private string[] _authors = [];

    /// <summary>Subjects; the run filters ten times as many records.</summary>
    [Params(100_000, 1_000_000)]
    public int Subjects { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "consentkit-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore($"Data Source={Path.Combine(_directory, "consent.db")}");
        _provider = services.BuildServiceProvider();
        var store = _provider.GetRequiredService<SqliteConsentStore>();
        var authors = Enumerable.Range(0, Subjects).Select(i => $"member-{i:D7}").ToArray();
        _authors = authors;

        // Half the members opted in; a tenth of those withdrew later.
        var history = BenchmarkData.HalfOptedInATenthWithdrew(authors, DateTimeOffset.UtcNow);

        foreach (var chunk in history.Chunk(20_000))
        {
            await store.AppendManyAsync(chunk);
        }

        var random = new Random(7);
        _posts = Enumerable.Range(0, Subjects * 10).Select(i => ((long)i, authors[random.Next(Subjects)])).ToArray();
        // Copies, as an allow-list read from anywhere would be: the same string instances as the posts would let
        // every lookup end on a reference comparison, which no real source gives.
        _allowList = new HashSet<string>(Enumerable.Range(0, Subjects).Where(i => i % 2 == 0 && i % 20 != 0).Select(i => new string(authors[i].AsSpan())));
        _everySubject = new HashSet<string>(authors.Select(a => new string(a.AsSpan())));
        _kept = _provider.GetRequiredService<ConsentFilter>().KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _provider.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "HashSet<string> over a precomputed allow-list (the floor)")]
    public long HashSetFloor() => CountIn(_allowList);

    // Context for the floor: a filter that decides and counts every item must know every subject, not only
    // the allowed ones; the same plain set over all 100k ids (copies) costs this much more on its own.
    [Benchmark(Description = "HashSet<string> over every subject's id (what a filter that counts every reason must know)")]
    public long HashSetOfEverySubject() => CountIn(_everySubject);

    private async Task<long> CountKeptAsync(ConsentFilterOptions? options)
    {
        var filter = _provider.GetRequiredService<ConsentFilter>();
        long kept = 0;
        await foreach (var _ in _posts.WhereConsented(filter, p => p.Author, ConsentPurposes.GenerativeAiTraining, options))
        {
            kept++;
        }

        return kept;
    }

    private long CountIn(HashSet<string> set)
    {
        long kept = 0;
        foreach (var post in _posts)
        {
            if (set.Contains(post.Author))
            {
                kept++;
            }
        }

        return kept;
    }

    [Benchmark(Description = "ConsentFilter, Lookup = Snapshot (end to end: reads consent once)")]
    public async Task<long> FilterSnapshot()
    {
        return await CountKeptAsync(new ConsentFilterOptions { Lookup = ConsentFilterLookup.Snapshot });
    }

    /// <summary>
    /// A later run on a kept snapshot: first 99 members change their minds (a withdrawal and a grant again,
    /// 198 records in one durable append, timed with the run), so the run catches up through real changes.
    /// </summary>
    [Benchmark(Description = "ConsentFilter on a kept snapshot (a later run; 198 changes appended first, timed too)")]
    public async Task<long> FilterKeptSnapshot()
    {
        var at = DateTimeOffset.UtcNow;
        var changes = new List<NewConsentRecord>();
        for (var i = 2; i < 200; i += 2)
        {
            changes.Add(new NewConsentRecord(_authors[i], ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, "1", at, null, ConsentMethod.SubjectUserInterface));
            changes.Add(new NewConsentRecord(_authors[i], ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", at, null, ConsentMethod.SubjectUserInterface));
        }

        await _provider.GetRequiredService<SqliteConsentStore>().AppendManyAsync(changes);
        return await CountKeptAsync(new ConsentFilterOptions { KeptSnapshot = _kept });
    }

    [Benchmark(Description = "ConsentFilter, Lookup = Automatic (the default)")]
    public async Task<long> FilterAutomatic()
    {
        return await CountKeptAsync(null);
    }

    [Benchmark(Description = "The snapshot read alone (scan + decide every subject)")]
    public async Task<int> SnapshotRead()
    {
        var purposes = _provider.GetRequiredService<ConsentPurposeReader>();
        return (await purposes.DecideAllAsync(ConsentPurposes.GenerativeAiTraining, CancellationToken.None)).Allowed().Count();
    }

    [Benchmark(Description = "ConsentFilter, Lookup = Snapshot, recorded in the ledger (every included subject written)")]
    public async Task<long> FilterRecorded()
    {
        var options = new ConsentFilterOptions { Lookup = ConsentFilterLookup.Snapshot, DataUseDescription = "bench", DataUseId = $"bench-{++_runs}-{Guid.NewGuid():N}" };
        return await CountKeptAsync(options);
    }

    [Benchmark(Description = "The same recorded run with BatchSize = 65,536 (the old default: fewer ledger writes, a larger batch held)")]
    public async Task<long> FilterRecordedLargeBatch()
    {
        var options = new ConsentFilterOptions { Lookup = ConsentFilterLookup.Snapshot, BatchSize = 65_536, DataUseDescription = "bench", DataUseId = $"bench-{++_runs}-{Guid.NewGuid():N}" };
        return await CountKeptAsync(options);
    }
}
