using ConsentKit.Snapshots;
using DuckDB.NET.Data;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ConsentKit.Snapshots.Tests;

/// <summary>Snapshots as CSV: read by a real DuckDB with its comment option, quoted ids kept, the used subjects imported back.</summary>
public sealed class CsvSnapshotTests : IDisposable
{
    // Subject ids may hold commas and quotes: the CSV must quote them, and DuckDB and the import must read them back.
    private const string Awkward = "o'brien, \"the\" author";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "consentkit-snapshots", Guid.NewGuid().ToString("N"));
    private readonly ServiceProvider _provider;

    public CsvSnapshotTests()
    {
        Directory.CreateDirectory(_directory);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero)));
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore($"Data Source={Path.Combine(_directory, "consent.db")}").AddSnapshots();
        _provider = services.BuildServiceProvider();
    }

    private string CsvPath => Path.Combine(_directory, "allowed.csv");

    private IConsentSnapshots Snapshots => _provider.GetRequiredService<IConsentSnapshots>();

    [Fact]
    public async Task ACsvSnapshot_IsReadByDuckDb_QuotesAwkwardIds_AndImportsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);
        var info = await WriteCsvSnapshotAsync(ct);

        var lines = await File.ReadAllLinesAsync(CsvPath, ct);
        lines.Should().Contain($"# consentkit.watermark={info.Watermark}").And.Contain($"# consentkit.content_sha256={info.ContentSha256}")
            .And.Contain("# consentkit.purpose=ai-training.generative").And.Contain("subject_id,consent_sequence");
        info.SubjectCount.Should().Be(3);

        List<string> used;
        using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            duck.Open();
            using var command = duck.CreateCommand();
            command.CommandText = $"SELECT subject_id FROM read_csv('{CsvPath}', auto_detect = false, comment = '#', delim = ',', quote = '\"', escape = '\"', header = true, columns = {{'subject_id': 'VARCHAR', 'consent_sequence': 'BIGINT'}}) ORDER BY 1";
            using var reader = command.ExecuteReader();
            used = [];
            while (reader.Read())
            {
                used.Add(reader.GetString(0));
            }
        }

        used.Should().Equal("alice", "carol", Awkward);
        DataUse completed;
        await using (var file = File.OpenRead(CsvPath))
        {
            completed = await Snapshots.ImportUsedSubjectsAsync(file, used, cancellationToken: ct);
        }

        completed.Status.Should().Be(DataUseStatus.Completed);
        completed.SubjectCount.Should().Be(3);
        (await _provider.GetRequiredService<IDataUseLedger>().GetSubjectsAsync("genai-csv", ct)).Select(s => s.SubjectId).Should().Contain(Awkward);
    }

    [Fact]
    public async Task AnAlteredCsvSnapshot_IsRefused_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);
        await WriteCsvSnapshotAsync(ct);

        await File.AppendAllTextAsync(CsvPath, "bob,1\n", ct);

        var act = async () =>
        {
            await using var file = File.OpenRead(CsvPath);
            await Snapshots.ImportUsedSubjectsAsync(file, ["bob"], cancellationToken: ct);
        };

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("content hash");
        (await _provider.GetRequiredService<IDataUseLedger>().GetAsync("genai-csv", ct))!.SubjectCount.Should().Be(0);
    }

    [Fact]
    public async Task UsedIds_NotInTheSnapshot_AreRefused_WritingNothing_AndRepeatsCountOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(ct);
        await WriteCsvSnapshotAsync(ct);

        var ledger = _provider.GetRequiredService<IDataUseLedger>();
        var refused = async () =>
        {
            await using var file = File.OpenRead(CsvPath);
            await Snapshots.ImportUsedSubjectsAsync(file, ["alice", "carol", "bob"], cancellationToken: ct);
        };

        // bob withdrew before the snapshot: the ids before him passed, yet nothing is written.
        (await refused.Should().ThrowAsync<ArgumentException>()).Which.Should().Match<ArgumentException>(e => e.ParamName == "usedSubjectIds" && e.Message.Contains("'bob'"));
        (await ledger.GetSubjectsAsync("genai-csv", ct)).Should().BeEmpty();

        DataUse completed;
        await using (var file = File.OpenRead(CsvPath))
        {
            completed = await Snapshots.ImportUsedSubjectsAsync(file, ["carol", "alice", "carol", "alice"], cancellationToken: ct);
        }

        completed.SubjectCount.Should().Be(2);
        completed.ItemsKept.Should().Be(2);
        var current = await _provider.GetRequiredService<IConsentStore>().GetCurrentManyAsync(["alice", "carol"], ct);
        (await ledger.GetSubjectsAsync("genai-csv", ct)).Select(m => (m.SubjectId, m.ConsentSequence))
            .Should().BeEquivalentTo(current.Select(r => (r.SubjectId, r.Sequence)), "each member is recorded once, with the grant the snapshot listed");
    }

    [Fact]
    public async Task AFileThatIsNeitherFormat_IsRefused_NamingTheArgument()
    {
        using var text = new MemoryStream("subject_id,consent_sequence\nalice,1\n"u8.ToArray());

        var act = async () => await Snapshots.ImportUsedSubjectsAsync(text, ["alice"], cancellationToken: TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("snapshot");
    }

    public void Dispose()
    {
        _provider.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<ConsentSnapshotInfo> WriteCsvSnapshotAsync(CancellationToken ct)
    {
        await using var file = File.Create(CsvPath);
        return await Snapshots.CreateAsync(
            new ConsentSnapshotRequest { PurposeId = ConsentPurposes.GenerativeAiTraining, DataUseId = "genai-csv", Description = "csv set", Format = ConsentSnapshotFormat.Csv }, file, ct);
    }

    private async Task SeedAsync(CancellationToken ct)
    {
        var recorder = _provider.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        foreach (var subject in new[] { "alice", "bob", "carol", Awkward })
        {
            await recorder.GrantAsync(subject, ConsentPurposes.GenerativeAiTraining, evidence, ct);
        }

        await recorder.WithdrawAsync("bob", ConsentPurposes.GenerativeAiTraining, evidence, ct);
    }
}
