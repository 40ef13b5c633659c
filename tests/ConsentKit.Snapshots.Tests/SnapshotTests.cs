using System.Diagnostics;
using ConsentKit.Snapshots;
using DuckDB.NET.Data;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ConsentKit.Snapshots.Tests;

/// <summary>A snapshot written as Parquet, joined in a real DuckDB against generated posts, the used subjects imported back.</summary>
public sealed class SnapshotTests : IDisposable
{
    private const int Members = 1_000;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "consentkit-snapshots", Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _provider;

    public SnapshotTests()
    {
        Directory.CreateDirectory(_directory);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore($"Data Source={Path.Combine(_directory, "consent.db")}").AddSnapshots();
        _provider = services.BuildServiceProvider();
    }

    private IConsentRecorder Recorder => _provider.GetRequiredService<IConsentRecorder>();

    private IConsentSnapshots Snapshots => _provider.GetRequiredService<IConsentSnapshots>();

    private string SnapshotPath => Path.Combine(_directory, "allowed.parquet");

    [Fact]
    public async Task ASnapshotJoinedInDuckDb_ImportedBack_IsFoundByAWithdrawalsImpact()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);
        var info = await CreateSnapshotAsync("genai-v8", ct);

        // The external job: 10M posts by 1,000 members, joined against the allow-list in DuckDB.
        var stopwatch = Stopwatch.StartNew();
        var used = JoinInDuckDb(10_000_000);
        stopwatch.Stop();
        TestContext.Current.SendDiagnosticMessage($"DuckDB: generated and joined 10M posts in {stopwatch.Elapsed.TotalSeconds:0.00} s");

        DataUse completed;
        await using (var file = File.OpenRead(SnapshotPath))
        {
            completed = await Snapshots.ImportUsedSubjectsAsync(file, used, itemsSeen: 10_000_000, ct);
        }

        info.SubjectCount.Should().Be(Members / 2 - Members / 20, "every other member opted in, and every tenth of those withdrew before the snapshot");
        used.Should().HaveCount(info.SubjectCount);
        completed.Status.Should().Be(DataUseStatus.Completed);
        completed.SubjectCount.Should().Be(info.SubjectCount);
        var withdrawal = await Recorder.WithdrawAsync(used[0], ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"), ct);
        (await _provider.GetRequiredService<IConsentReader>().FindAffectedDataUsesAsync(withdrawal, ct)).Select(u => u.Id).Should().Equal("genai-v8");
    }

    [Fact]
    public async Task TheSnapshot_HoldsOnlyValidOptIns_AtItsWatermark_WithItsMetadata()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);
        var watermarkBefore = await _provider.GetRequiredService<IConsentStore>().GetLastSequenceAsync(ct);

        var info = await CreateSnapshotAsync("genai-v8", ct);

        info.Watermark.Should().Be(watermarkBefore);
        info.RuleVersion.Should().Be(ConsentSnapshotInfo.CurrentRuleVersion);
        info.DataUse.Status.Should().Be(DataUseStatus.Running);
        info.DataUse.Description.Should().Contain($"consent snapshot at sequence {watermarkBefore}");
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        Scalar(duck, $"SELECT count(*) FROM read_parquet('{SnapshotPath}') WHERE subject_id = 'member-0001'").Should().Be(0L, "odd members never opted in");
        Scalar(duck, $"SELECT count(*) FROM read_parquet('{SnapshotPath}') WHERE subject_id = 'member-0000'").Should().Be(0L, "member 0 withdrew");
        Scalar(duck, $"SELECT count(*) FROM read_parquet('{SnapshotPath}') WHERE subject_id = 'member-0002'").Should().Be(1L);
        Scalar(duck, $"SELECT CAST(value AS VARCHAR) FROM parquet_kv_metadata('{SnapshotPath}') WHERE key = 'consentkit.content_sha256'")
            .Should().Be(info.ContentSha256);
    }

    [Fact]
    public async Task ImportingASubjectTheSnapshotDidNotAllow_IsRefused_NamingIt_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);
        await CreateSnapshotAsync("genai-v8", ct);

        var act = async () =>
        {
            await using var file = File.OpenRead(SnapshotPath);
            await Snapshots.ImportUsedSubjectsAsync(file, ["member-0002", "member-0001"], cancellationToken: ct);
        };

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("'member-0001'");
        var use = await _provider.GetRequiredService<IDataUseLedger>().GetAsync("genai-v8", ct);
        use!.Status.Should().Be(DataUseStatus.Running);
        use.SubjectCount.Should().Be(0);
    }

    [Fact]
    public async Task AnAlteredSnapshot_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);
        await CreateSnapshotAsync("genai-v8", ct);
        using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            duck.Open();
            var forged = Path.Combine(_directory, "forged.parquet");
            Execute(duck, $"COPY (SELECT * FROM read_parquet('{SnapshotPath}') UNION ALL SELECT 'member-0001', 1) TO '{forged}' (FORMAT parquet, KV_METADATA {{ 'consentkit.snapshot': '1', 'consentkit.data_use_id': 'genai-v8', 'consentkit.content_sha256': '{(await CreateHashOfOriginalAsync(ct))}' }})");
            File.Copy(forged, SnapshotPath, overwrite: true);
        }

        var act = async () =>
        {
            await using var file = File.OpenRead(SnapshotPath);
            await Snapshots.ImportUsedSubjectsAsync(file, ["member-0001"], cancellationToken: ct);
        };

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("content hash");
    }

    public void Dispose()
    {
        _provider.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    // Even members opt in; every tenth of them (0, 20, 40, …) withdraws again.
    private async Task SeedAsync(CancellationToken ct)
    {
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        for (var i = 0; i < Members; i += 2)
        {
            await Recorder.GrantAsync(Member(i), ConsentPurposes.GenerativeAiTraining, evidence, ct);
        }

        for (var i = 0; i < Members; i += 20)
        {
            await Recorder.WithdrawAsync(Member(i), ConsentPurposes.GenerativeAiTraining, evidence, ct);
        }
    }

    private async Task<ConsentSnapshotInfo> CreateSnapshotAsync(string id, CancellationToken ct)
    {
        await using var file = File.Create(SnapshotPath);
        return await Snapshots.CreateAsync(new ConsentSnapshotRequest { PurposeId = ConsentPurposes.GenerativeAiTraining, DataUseId = id, Description = "genai-v8 training set" }, file, ct);
    }

    private async Task<string> CreateHashOfOriginalAsync(CancellationToken ct)
    {
        await Task.CompletedTask;
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        return (string)Scalar(duck, $"SELECT CAST(value AS VARCHAR) FROM parquet_kv_metadata('{SnapshotPath}') WHERE key = 'consentkit.content_sha256'")!;
    }

    private List<string> JoinInDuckDb(int posts)
    {
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        Execute(duck, $"CREATE TABLE posts AS SELECT i AS id, 'member-' || lpad(CAST(i % {Members} AS VARCHAR), 4, '0') AS author_id FROM range({posts}) t(i)");
        using var command = duck.CreateCommand();
        command.CommandText = $"SELECT DISTINCT p.author_id FROM posts p JOIN read_parquet('{SnapshotPath}') a ON p.author_id = a.subject_id ORDER BY 1";
        using var reader = command.ExecuteReader();
        var used = new List<string>();
        while (reader.Read())
        {
            used.Add(reader.GetString(0));
        }

        return used;
    }

    private static string Member(int i) => $"member-{i:D4}";

    private static object? Scalar(DuckDBConnection duck, string sql)
    {
        using var command = duck.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(DuckDBConnection duck, string sql)
    {
        using var command = duck.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
