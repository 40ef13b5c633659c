using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ConsentKit.Sqlite.Tests;

/// <summary>The lineage commands as an operator (or a CI job before a deployment) runs them: a process, on a real SQLite file.</summary>
public sealed class CliLineageTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task ARecordedModel_ShowsWhatItOwes_AndTheGateFailsOnlyWhenADeadlinePassed()
    {
        // Ada withdrew 40 days ago; the default policy gives 30.
        var withdrawnAt = DateTimeOffset.UtcNow.AddDays(-40);
        await SeedAsync(withdrawnAt);
        (await RunAsync("record-artifact", "-c", _database.ConnectionString, "--id", "m1", "--version", "1", "--kind", "model", "--owner", "ml",
            "--built-at", withdrawnAt.AddDays(-1).ToString("O"), "--input", "data-use:set-1")).Code.Should().Be(0);
        (await RunAsync("record-artifact", "-c", _database.ConnectionString, "--id", "m2", "--version", "1", "--kind", "fine-tune", "--owner", "ml",
            "--built-at", withdrawnAt.AddDays(-1).ToString("O"), "--input", "artifact:m1")).Code.Should().Be(0);
        (await RunAsync("deploy", "-c", _database.ConnectionString, "--deployment", "chat", "--artifact", "m2", "--by", "ml")).Code.Should().Be(0);
        await WithdrawAsync(withdrawnAt);

        var (code, table, error) = await RunAsync("obligations", "-c", _database.ConnectionString);
        var (_, json, _) = await RunAsync("obligations", "-c", _database.ConnectionString, "--artifact", "m2", "--json");
        var (_, holding, _) = await RunAsync("lineage", "-c", _database.ConnectionString, "--subject", "bob");
        var (planCode, plan, _) = await RunAsync("rebuild-plan", "-c", _database.ConnectionString, "--artifact", "m2");

        code.Should().Be(1, "an obligation is past its deadline: a deployment gate fails");
        error.Should().Contain("2 obligation(s) past their deadline");
        table.Should().MatchRegex(@"m2\s+chat\s+1\s+1");
        var person = JsonDocument.Parse(json).RootElement[0].GetProperty("people")[0];
        person.GetProperty("subjectId").GetString().Should().Be("ada");
        person.GetProperty("reason").GetString().Should().Be("withdrawn");
        person.GetProperty("path").EnumerateArray().Select(p => p.GetString()).Should().Equal("set-1", "m1", "m2");
        holding.Should().Contain("set-1 → m1 → m2");
        planCode.Should().Be(0);
        JsonDocument.Parse(plan).RootElement.GetProperty("inputs")[0].GetProperty("leaveOut").EnumerateArray().Select(p => p.GetString()).Should().Equal("ada");
    }

    [Fact]
    public async Task BadLineageInput_Exits2_SayingWhy_AndWritesNothing()
    {
        await SeedAsync(DateTimeOffset.UtcNow);

        var (badInput, _, inputError) = await RunAsync("record-artifact", "-c", _database.ConnectionString, "--id", "m1", "--version", "1", "--kind", "model", "--owner", "ml", "--input", "set-1");
        var (unknown, _, unknownError) = await RunAsync("record-artifact", "-c", _database.ConnectionString, "--id", "m1", "--version", "1", "--kind", "model", "--owner", "ml", "--input", "data-use:nope");
        var (noArtifact, _, noArtifactError) = await RunAsync("obligations", "-c", _database.ConnectionString, "--artifact", "nope");
        var (_, listed, _) = await RunAsync("lineage", "-c", _database.ConnectionString, "--json");

        badInput.Should().Be(2);
        inputError.Should().Contain("--input 'set-1' is not data-use:<id> or artifact:<id>");
        unknown.Should().Be(2);
        unknownError.Should().Contain("data use nope, which is not recorded").And.NotContain("(Parameter", "the terminal gets a sentence");
        noArtifact.Should().Be(2);
        noArtifactError.Should().Contain("No artifact 'nope' is recorded");
        JsonDocument.Parse(listed).RootElement.GetProperty("artifacts").GetArrayLength().Should().Be(0);
    }

    public void Dispose() => _database.Dispose();

    private async Task SeedAsync(DateTimeOffset at)
    {
        await using var provider = Provider(at.AddDays(-2));
        var recorder = provider.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        await recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, evidence);
        await recorder.GrantAsync("bob", ConsentPurposes.GenerativeAiTraining, evidence);
        var run = new[] { "ada", "bob" }.WhereConsented(provider.GetRequiredService<ConsentFilter>(), a => a, ConsentPurposes.GenerativeAiTraining, new ConsentFilterOptions { DataUseId = "set-1", DataUseDescription = "training set 1" });
        await foreach (var _ in run)
        {
        }
    }

    private async Task WithdrawAsync(DateTimeOffset at)
    {
        await using var provider = Provider(at);
        await provider.GetRequiredService<IConsentRecorder>().WithdrawAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"));
    }

    private ServiceProvider Provider(DateTimeOffset now)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(now));
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString);
        return services.BuildServiceProvider();
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] arguments) => CliTests.RunToolAsync(arguments);
}
