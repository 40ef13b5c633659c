using System.Text.Json;
using ConsentKit.Samples.TrainingExport;
using FluentAssertions;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Samples.Tests;

public sealed class TrainingExportTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "consentkit-export-tests", Guid.NewGuid().ToString("N"));

    public TrainingExportTests() => Directory.CreateDirectory(_directory);

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
