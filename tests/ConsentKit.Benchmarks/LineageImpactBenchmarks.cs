using BenchmarkDotNet.Attributes;
using ConsentKit.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// What a withdrawal costs to follow to the models (issue #24): 1M members, one grant each; 100 training
/// sets of 100k members each (every member in 10); 1,000 artifacts — 100 base models, one per set, and 900
/// fine-tunes each built on a random earlier artifact. The baseline is the ledger's own answer (which sets
/// hold the person); the impact query adds the graph (every artifact built from those sets, with paths)
/// and what each owes the person. One artifact's obligations (its 100k members through the gate) is the
/// report an operator or the monitor runs.
/// </summary>
[MemoryDiagnoser]
public class LineageImpactBenchmarks
{
    private const int Members = 1_000_000;
    private const int Sets = 100;
    private const int Artifacts = 1_000;
    private const int Withdrawals = 256;

    private ServiceProvider _provider = null!;
    private IDataUseLedger _ledger = null!;
    private IModelLineage _lineage = null!;
    private ConsentRecord[] _withdrawals = [];
    private string _directory = string.Empty;
    private int _next;

    [Params("memory", "sqlite")]
    public string Store { get; set; } = "memory";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var services = new ServiceCollection();
        var kit = services.AddConsentKit().AddStandardPurposes();
        if (Store == "memory")
        {
            kit.UseInMemoryStore();
        }
        else
        {
            // Building 1M records and 10M ledger rows in SQLite takes minutes: built once into a template file
            // (kept between runs), copied for each benchmark process.
            _directory = Path.Combine(Path.GetTempPath(), "consentkit-bench", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_directory);
            var database = Path.Combine(_directory, "consent.db");
            if (File.Exists(Template))
            {
                File.Copy(Template, database);
            }

            kit.UseSqliteStore($"Data Source={database}");
        }

        _provider = services.BuildServiceProvider();
        _ledger = _provider.GetRequiredService<IDataUseLedger>();
        _lineage = _provider.GetRequiredService<IModelLineage>();
        if (Store == "sqlite" && File.Exists(Template))
        {
            _withdrawals = [.. (await _provider.GetRequiredService<IConsentStore>().GetChangesAsync(Members + 0L, Withdrawals * 2)).Where(r => r.Status == ConsentStatus.Withdrawn)];
            return;
        }

        await BuildAsync();
        if (Store == "sqlite")
        {
            SqliteConnection.ClearAllPools();
            using (var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "consent.db")}"))
            {
                connection.Open();
                using var checkpoint = connection.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
                checkpoint.ExecuteNonQuery();
            }

            File.Copy(Path.Combine(_directory, "consent.db"), Template, overwrite: true);
        }
    }

    private static string Template => Path.Combine(Path.GetTempPath(), "consentkit-bench-lineage-1m.db");

    private async Task BuildAsync()
    {
        var store = _provider.GetRequiredService<IConsentStore>();
        var at = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

        foreach (var chunk in Enumerable.Range(0, Members).Chunk(20_000))
        {
            await store.AppendManyAsync([.. chunk.Select(i => new NewConsentRecord(Member(i), ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", at, null, ConsentMethod.SubjectUserInterface))]);
        }

        // Member i (grant sequence i + 1) is in the sets s with (i + s) % 10 == 0.
        for (var s = 0; s < Sets; s++)
        {
            var id = $"set-{s:D3}";
            await _ledger.StartAsync(new NewDataUse { Id = id, PurposeId = ConsentPurposes.GenerativeAiTraining, Description = $"training set {s}", StartedAt = at.AddHours(1) });
            var members = Enumerable.Range(0, Members).Where(i => (i + s) % 10 == 0).Select(i => new DataUseSubject { SubjectId = Member(i), ConsentSequence = i + 1 });
            foreach (var chunk in members.Chunk(50_000))
            {
                await _ledger.AddSubjectsAsync(id, chunk);
            }

            await _ledger.CompleteAsync(id, at.AddHours(2), Members / 10, Members / 10);
        }

        var random = new Random(42);
        for (var a = 0; a < Artifacts; a++)
        {
            await _lineage.RecordArtifactAsync(new NewArtifact
            {
                Id = $"artifact-{a:D4}",
                Version = "1",
                Kind = a < Sets ? ArtifactKinds.Model : ArtifactKinds.FineTune,
                Owner = "ml",
                BuiltAt = at.AddHours(3).AddMinutes(a),
                Inputs = [a < Sets ? ArtifactInput.FromDataUse($"set-{a:D3}") : ArtifactInput.FromArtifact($"artifact-{random.Next(a):D4}")],
            });
        }

        _withdrawals = [.. await store.AppendManyAsync([.. Enumerable.Range(0, Withdrawals).Select(i =>
            new NewConsentRecord(Member(i * 3_907), ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, "1", at.AddDays(1), null, ConsentMethod.SubjectUserInterface))])];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        if (_directory.Length > 0)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Benchmark(Baseline = true, Description = "ledger: the sets a withdrawal reaches")]
    public async Task<int> Sets_() => (await _ledger.FindAffectedByAsync(_withdrawals[_next++ % Withdrawals])).Count;

    [Benchmark(Description = "impact: every artifact built from them, with paths and what each owes")]
    public async Task<int> Impact() => (await _lineage.FindAffectedArtifactsAsync(_withdrawals[_next++ % Withdrawals])).Count;

    [Benchmark(Description = "one base model's obligations (100k members through the gate)")]
    public async Task<int> Obligations() => (await _lineage.GetObligationsAsync($"artifact-{_next++ % Sets:D4}")).Owed;

    /// <summary>A monitor round: run alone with <c>--job dry</c> (one call; it decides all 10M memberships).</summary>
    [Benchmark(Description = "every artifact's obligations (1,000 artifacts, each set decided once)")]
    [BenchmarkCategory("round")]
    public async Task<int> AllObligations() => (await _lineage.GetAllObligationsAsync()).Sum(o => o.Owed);

    private static string Member(int i) => $"member-{i:D7}";
}
