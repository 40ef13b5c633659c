using FluentAssertions;

namespace ConsentKit.Sqlite.Tests;

/// <summary><c>consentkit import</c> as an operator runs it: an export in and verified; a bad file refused by line with nothing written.</summary>
public sealed class CliImportTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Import_WritesTheExport_AndVerifyProvesIt_WhileABadFileChangesNothing()
    {
        using (var store = _database.CreateStore())
        {
            await store.SaveNoticesAsync([.. ConsentPurposes.Standard.Select(ConsentNotice.For)], DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);
        }

        var good = Path.Combine(_database.Directory, "export.jsonl");
        await File.WriteAllTextAsync(good,
            """{"uid":"ada","purpose_id":"ai-training.generative","status":"granted","notice_version":"1","recorded_at":"2026-03-01T10:00:00Z","method":"subject-user-interface"}""" + "\n",
            TestContext.Current.CancellationToken);
        var bad = Path.Combine(_database.Directory, "bad.csv");
        await File.WriteAllTextAsync(bad, "subject_id,purpose_id,status,notice_version,recorded_at\nbob,ai-training.generative,granted,1,2026-03-01T10:00:00Z\n", TestContext.Current.CancellationToken);

        var (badCode, _, badError) = await CliTests.RunToolAsync(["import", "-c", _database.ConnectionString, "--file", bad]);
        var (code, output, _) = await CliTests.RunToolAsync(["import", "-c", _database.ConnectionString, "--file", good, "--map", "subject_id=uid", "--source", "onetrust"]);
        var (verifyCode, _, _) = await CliTests.RunToolAsync(["verify", "-c", _database.ConnectionString]);
        var (mapCode, _, mapError) = await CliTests.RunToolAsync(["import", "-c", _database.ConnectionString, "--file", good, "--map", "uid"]);

        badCode.Should().Be(2);
        badError.Should().Contain("1 row(s) cannot be imported; nothing was written").And.Contain("line 2, method: A grant must say the person gave it themselves");
        code.Should().Be(0);
        output.Should().Contain("Imported 1 of 1 rows");
        verifyCode.Should().Be(0);
        mapCode.Should().Be(2);
        mapError.Should().Contain("--map takes field=column");
        using var after = _database.CreateStore();
        (await after.GetLastSequenceAsync(TestContext.Current.CancellationToken)).Should().Be(1, "only the good file wrote");
        (await after.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Single().Source.Should().Be("onetrust");
    }
}
