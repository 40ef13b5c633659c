using System.Text.Json;
using ConsentKit.Samples.TrainingExport;
using FluentAssertions;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Samples.Tests;

public sealed class TrainingExportTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "consentkit-export-tests", Guid.NewGuid().ToString("N"));

    public TrainingExportTests() => Directory.CreateDirectory(_directory);

    [Theory]
    [InlineData("allowed.parquet", "read_parquet(")]
    [InlineData("allowed.csv", "read_csv(")]
    public async Task SnapshotThenImportUsed_PutsTheExternalJobOnTheRecord_AndRefusesAMemberTheSnapshotDidNotAllow(string fileName, string duckDbRead)
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = Settings("seed.jsonl");
        await TrainingExportJob.RunAsync(settings, new StringWriter(), ct);
        var snapshotPath = Path.Combine(_directory, fileName);
        // The export ends by withdrawing member 0, so the snapshot after it holds the other opted-in members.
        var optedIn = Enumerable.Range(1, 199).Where(i => DemoData.ChoiceOf(i) == DemoData.Choice.Granted).Select(DemoData.PersonId).ToList();
        var notAllowed = Enumerable.Range(0, 200).Where(i => DemoData.ChoiceOf(i) == DemoData.Choice.Refused).Select(DemoData.PersonId).First();
        var used = Path.Combine(_directory, "used.txt");
        var forged = Path.Combine(_directory, "forged.txt");
        await File.WriteAllLinesAsync(used, optedIn.Take(2), ct);
        await File.WriteAllLinesAsync(forged, [optedIn[0], notAllowed], ct);

        var snapshotOutput = new StringWriter();
        var snapshotExit = await SnapshotCommands.SnapshotAsync(settings.DatabasePath, snapshotPath, "external-genai-1", snapshotOutput, ct);
        var refusedOutput = new StringWriter();
        var refusedExit = await SnapshotCommands.ImportUsedAsync(settings.DatabasePath, snapshotPath, forged, refusedOutput, ct);
        var importOutput = new StringWriter();
        var importExit = await SnapshotCommands.ImportUsedAsync(settings.DatabasePath, snapshotPath, used, importOutput, ct);

        snapshotExit.Should().Be(0);
        snapshotOutput.ToString().Should().Contain($"{optedIn.Count} members may be used").And.Contain(duckDbRead);
        refusedExit.Should().Be(2);
        refusedOutput.ToString().Should().Contain($"'{notAllowed}' was not in the snapshot");
        importExit.Should().Be(0);
        importOutput.ToString().Should().Contain("Data use external-genai-1: Completed, 2 members on the record.");
    }

    [Fact]
    public async Task Export_KeepsOnlyOptedInMembers_RecordsTheRun_AndShowsTheWithdrawalImpact()
    {
        var settings = Settings("first.jsonl");
        var output = new StringWriter();

        var exit = await TrainingExportJob.RunAsync(settings, output, TestContext.Current.CancellationToken);

        exit.Should().Be(0);
        var text = output.ToString();
        var authors = ReadAuthors(settings.OutputPath);
        var optedIn = Enumerable.Range(0, 200).Where(i => DemoData.ChoiceOf(i) == DemoData.Choice.Granted).Select(DemoData.PersonId).ToHashSet();
        authors.Should().HaveCount(optedIn.Count * 3);
        authors.Distinct().Should().BeEquivalentTo(optedIn);
        text.Should().Contain("Seeded 200 members")
            .And.MatchRegex($@"kept\s+{optedIn.Count * 3} posts from {optedIn.Count} members who opted in")
            .And.MatchRegex(@"NoRecord\s+120\n")
            .And.MatchRegex(@"Withdrawn\s+120\n")
            .And.MatchRegex(@"Refused\s+60\n")
            .And.MatchRegex(@"Expired\s+60\n")
            .And.MatchRegex(@"NoticeOutdated\s+60\n")
            .And.Contain("Completed, 60 members")
            .And.Contain("Withdrawal: member-00000 switches")
            .And.Contain("Affects 1 training set(s)")
            .And.Contain("The gate now says: Withdrawn");
    }

    [Fact]
    public async Task SecondExport_LeavesTheWithdrawnMemberOut_AndTheirWithdrawalShowsBothEarlierSets()
    {
        await TrainingExportJob.RunAsync(Settings("first.jsonl"), new StringWriter(), TestContext.Current.CancellationToken);
        var second = Settings("second.jsonl");
        var output = new StringWriter();

        await TrainingExportJob.RunAsync(second, output, TestContext.Current.CancellationToken);

        var authors = ReadAuthors(second.OutputPath);
        authors.Should().NotContain("member-00000", "they withdrew after the first export");
        authors.Distinct().Should().HaveCount(59);
        var text = output.ToString();
        text.Should().NotContain("Seeded").And.Contain("Withdrawal: member-00001 switches").And.Contain("Affects 2 training set(s)");
    }

    [Fact]
    public async Task AModelTrainedOnTheSet_OwesTheMemberWhoWithdrew_AndItsRebuildFromThePlanPaysIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = new StringWriter();
        await TrainingExportJob.RunAsync(Settings("first.jsonl") with { ModelId = "assistant-1" }, first, ct);
        first.ToString().Should().Contain("Trained model assistant-1 on ").And.Contain("Model assistant-1 holds their data (").And.Contain("Deadline ");

        var rebuilt = new StringWriter();
        var exit = await RebuildCommand.RunAsync(Path.Combine(_directory, "consent.db"), "assistant-1", "assistant-2", Path.Combine(_directory, "rebuilt.jsonl"), 200, 3, rebuilt, ct);

        exit.Should().Be(0);
        var text = rebuilt.ToString();
        text.Should().Contain("1 to leave out (member-00000)").And.Contain("assistant-2 now serves assistant-production").And.Contain("assistant-1 now owes 0 of 1");
        ReadAuthors(Path.Combine(_directory, "rebuilt.jsonl")).Should().NotContain("member-00000");
        (await RebuildCommand.RunAsync(Path.Combine(_directory, "consent.db"), "no-such-model", "x", Path.Combine(_directory, "x.jsonl"), 200, 3, new StringWriter(), ct)).Should().Be(2);
    }

    [Fact]
    public async Task ExportWithoutTheLedger_RecordsNoDataUse()
    {
        var settings = Settings("no-ledger.jsonl") with { RecordDataUse = false };
        var output = new StringWriter();

        await TrainingExportJob.RunAsync(settings, output, TestContext.Current.CancellationToken);

        output.ToString().Should().NotContain("Recorded as data use").And.Contain("No training set holds their data.");
    }

    private TrainingExportSettings Settings(string file) =>
        new(Path.Combine(_directory, "consent.db"), Path.Combine(_directory, file), People: 200, PostsPerPerson: 3, RecordDataUse: true);

    private static List<string> ReadAuthors(string path) =>
        File.ReadLines(path).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("authorId").GetString()!).ToList();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
