using System.Diagnostics;
using System.Security.Cryptography;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Sqlite.Tests;

/// <summary>The consentkit tool as an operator runs it: a process, against a real SQLite file, judged by its exit code.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly string _key;

    public CliTests()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _key = Path.Combine(_database.Directory, "receipts.pem");
        File.WriteAllText(_key, key.ExportPkcs8PrivateKeyPem());
    }

    private string[] Receipts => ["--key", _key, "--controller-name", "Example Ltd", "--controller-contact", "privacy@example.com", "--withdrawal-method", "https://example.com/privacy"];

    [Fact]
    public async Task Verify_OnAnIntactFile_Exits0_AndPrintsTheHead()
    {
        await SeedAsync();

        var (code, output, _) = await RunAsync("verify", "-c", _database.ConnectionString);

        code.Should().Be(0);
        output.Should().MatchRegex(@"^valid: 3 records, 6 proof-log entries, head consentkit-chain-head:v2:3:[0-9a-f]{64}:6:[0-9a-f]{64}");
        output.Should().Contain(ConsentVerificationResult.NoAnchorCaveat, "without an anchor the output says what it cannot see");
    }

    [Fact]
    public async Task Verify_OnATamperedFile_Exits1_NamingTheFirstBadSequence()
    {
        await SeedAsync();
        Tamper("UPDATE consent_events SET source = 'forged' WHERE sequence = 2;");

        var (code, _, error) = await RunAsync("verify", "-c", _database.ConnectionString);

        code.Should().Be(1);
        error.Should().Contain("ContentChanged at sequence 2");
    }

    [Fact]
    public async Task Verify_WithoutADatabase_Exits2_AndCreatesNothing()
    {
        var missing = Path.Combine(_database.Directory, "nope.db");

        var (code, _, error) = await RunAsync("verify", "-c", $"Data Source={missing}");

        code.Should().Be(2);
        error.Should().Contain("There is no SQLite database");
        File.Exists(missing).Should().BeFalse();
    }

    [Fact]
    public async Task Head_PrintsTheLine_AndItsSignature()
    {
        await SeedAsync();

        var (code, output, _) = await RunAsync("head", "-c", _database.ConnectionString, "--key", _key);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        code.Should().Be(0);
        using var key = ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(_key, TestContext.Current.CancellationToken));
        ConsentChainHead.Parse(lines[0]).HasValidSignature(lines[1].Trim(), key).Should().BeTrue();
    }

    [Fact]
    public async Task Receipt_IsACompactJws_AndWithoutAKey_Exits2_SayingWhatIsMissing()
    {
        await SeedAsync();

        var (code, output, _) = await RunAsync(["receipt", "-c", _database.ConnectionString, "--subject", "ada", "--sequence", "1", .. Receipts]);
        var (noKey, _, error) = await RunAsync("receipt", "-c", _database.ConnectionString, "--subject", "ada", "--sequence", "1");

        code.Should().Be(0);
        output.Trim().Split('.').Should().HaveCount(3);
        noKey.Should().Be(2);
        error.Should().Contain("SigningKey").And.Contain("ControllerName");
    }

    [Fact]
    public async Task ExportSubject_PrintsTheSubjectsRecords()
    {
        await SeedAsync();

        var (code, output, _) = await RunAsync(["export-subject", "-c", _database.ConnectionString, "--subject", "ada", .. Receipts]);

        code.Should().Be(0);
        output.Should().Contain("\"subject_id\": \"ada\"").And.Contain("\"receipt\":").And.NotContain("\"bob\"");
    }

    [Fact]
    public async Task AuditDataUse_Passes_Then_Exits1_WhenAGrantWasTamperedWith()
    {
        await SeedAsync();

        var (passed, summary, error0) = await RunAsync(["audit-data-use", "-c", _database.ConnectionString, "--data-use", "set-1", .. Receipts]);
        Tamper("UPDATE consent_events SET recorded_at = recorded_at - 1 WHERE sequence = 1;");
        var (failed, tampered, _) = await RunAsync(["audit-data-use", "-c", _database.ConnectionString, "--data-use", "set-1", .. Receipts]);

        passed.Should().Be(0, summary + error0);
        summary.Should().Contain("PASSED");
        failed.Should().Be(1);
        tampered.Should().Contain("GrantAltered").And.Contain("FAILED");
    }

    [Fact]
    public async Task EraseSubject_NeedsYes_ThenErases()
    {
        await SeedAsync();

        var (refused, _, why) = await RunAsync("erase-subject", "-c", _database.ConnectionString, "--subject", "ada");
        var (erased, output, _) = await RunAsync("erase-subject", "-c", _database.ConnectionString, "--subject", "ada", "--yes");
        var (again, _, _) = await RunAsync("erase-subject", "-c", _database.ConnectionString, "--subject", "ada", "--yes");

        refused.Should().Be(2);
        why.Should().Contain("--yes");
        erased.Should().Be(0);
        output.Should().Contain("Erased ada");
        again.Should().Be(1, "there is nothing left to erase");
    }

    [Fact]
    public async Task EraseSubject_OnAStoreWithTheAppsOwnTextForAStandardId_Erases_AndWritesNoNotice()
    {
        var ct = TestContext.Current.CancellationToken;
        var services = new ServiceCollection();
        services.AddConsentKit()
            .AddPurpose(new ConsentPurpose(ConsentPurposes.Analytics, "Product analytics", "We count which pages you open to make them better.", "1"))
            .UseSqliteStore(_database.ConnectionString);
        IReadOnlyList<ConsentNotice> before;
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<IConsentRecorder>().GrantAsync("ada", ConsentPurposes.Analytics, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);
            before = await provider.GetRequiredService<IConsentStore>().GetNoticesAsync(ct);
        }

        var (code, output, error) = await RunAsync("erase-subject", "-c", _database.ConnectionString, "--subject", "ada", "--yes");

        code.Should().Be(0, output + error);
        output.Should().Contain("Erased ada");
        await using var after = services.BuildServiceProvider();
        (await after.GetRequiredService<IConsentStore>().GetNoticesAsync(ct)).Select(n => (n.PurposeId, n.NoticeVersion, n.DisplayName, n.Text))
            .Should().Equal(before.Select(n => (n.PurposeId, n.NoticeVersion, n.DisplayName, n.Text)), "the tool writes no notice it was not asked to");
        before.Should().ContainSingle().Which.DisplayName.Should().Be("Product analytics");
        (await after.GetRequiredService<IConsentGate>().CheckAsync("ada", ConsentPurposes.Analytics, ct)).IsAllowed.Should().BeFalse();
        (await after.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct)).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task AHeadKeptInAnAnchorDirectory_IsChecked_AndFindsRecordsCutOffTheEnd()
    {
        await SeedAsync();
        var anchors = Path.Combine(_database.Directory, "anchors");
        var publicKey = Path.Combine(_database.Directory, "public.pem");
        var otherKey = Path.Combine(_database.Directory, "other.pem");
        using (var key = ECDsa.Create())
        {
            key.ImportFromPem(await File.ReadAllTextAsync(_key, TestContext.Current.CancellationToken));
            await File.WriteAllTextAsync(publicKey, key.ExportSubjectPublicKeyInfoPem(), TestContext.Current.CancellationToken);
        }

        using (var other = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            await File.WriteAllTextAsync(otherKey, other.ExportSubjectPublicKeyInfoPem(), TestContext.Current.CancellationToken);
        }

        var (anchored, headOutput, _) = await RunAsync("head", "-c", _database.ConnectionString, "--key", _key, "--to", anchors);
        var (checkedHead, checkOutput, _) = await RunAsync("check-head", "--anchor", anchors, "--anchor-key", publicKey);
        var (wrongKey, _, wrongKeyError) = await RunAsync("check-head", "--anchor", anchors, "--anchor-key", otherKey);
        var (intact, intactOutput, _) = await RunAsync("verify", "-c", _database.ConnectionString, "--anchor", anchors, "--anchor-key", publicKey);

        // Cut the last record off and set SQLite's counter back: nothing in the file tells.
        Tamper("DROP TRIGGER consent_events_no_delete; DROP TRIGGER consent_current_no_delete; " +
            "DELETE FROM consent_events WHERE sequence = 3; DELETE FROM consent_current WHERE sequence = 3; UPDATE sqlite_sequence SET seq = 2 WHERE name = 'consent_events';");
        var (alone, aloneOutput, _) = await RunAsync("verify", "-c", _database.ConnectionString);
        var (cut, _, cutError) = await RunAsync("verify", "-c", _database.ConnectionString, "--anchor", anchors, "--anchor-key", publicKey);
        var (audit, auditOutput, _) = await RunAsync(["audit-data-use", "-c", _database.ConnectionString, "--data-use", "set-1", "--anchor", anchors, "--anchor-key", publicKey, .. Receipts]);

        anchored.Should().Be(0);
        headOutput.Should().Contain("Anchored in");
        Directory.GetFiles(anchors).Should().ContainSingle();
        checkedHead.Should().Be(0);
        checkOutput.Should().Contain("signature checks out");
        wrongKey.Should().Be(1);
        wrongKeyError.Should().Contain("does not check out");
        intact.Should().Be(0, intactOutput);
        intactOutput.Should().Contain("anchored").And.NotContain(ConsentVerificationResult.NoAnchorCaveat);
        alone.Should().Be(0, "without an anchor a cut-off end with the counter set back cannot be seen");
        aloneOutput.Should().Contain(ConsentVerificationResult.NoAnchorCaveat);
        cut.Should().Be(1);
        cutError.Should().Contain("AnchorMismatch at sequence 3");
        audit.Should().Be(1, auditOutput);
        auditOutput.Should().Contain("NOT verified").And.Contain("FAILED");
    }

    [Fact]
    public async Task AnAnchorThatIsNone_OrAKeyWithoutOne_IsBadInput()
    {
        await SeedAsync();

        var (nonsense, _, nonsenseError) = await RunAsync("verify", "-c", _database.ConnectionString, "--anchor", "nonsense");
        var (keyAlone, _, keyAloneError) = await RunAsync("verify", "-c", _database.ConnectionString, "--anchor-key", _key);

        nonsense.Should().Be(2);
        nonsenseError.Should().Contain("neither a chain head line, a file nor a directory").And.NotContain("Parameter");
        keyAlone.Should().Be(2);
        keyAloneError.Should().Contain("--anchor-key needs --anchor");
    }

    [Fact]
    public async Task AuditDataUse_SaysWhenNoAnchorWasGiven()
    {
        await SeedAsync();

        var (code, summary, _) = await RunAsync(["audit-data-use", "-c", _database.ConnectionString, "--data-use", "set-1", .. Receipts]);

        code.Should().Be(0);
        summary.Should().Contain("verified without an anchor").And.Contain(ConsentVerificationResult.NoAnchorCaveat);
    }

    [Fact]
    public async Task AnUnknownCommandOrMissingOption_Exits2()
    {
        (await RunAsync("frobnicate")).Code.Should().Be(2);
        (await RunAsync("verify")).Code.Should().Be(2);
    }

    [Fact]
    public async Task NewKey_WritesAPairTheOtherCommandsUse_ReadableByItsOwnerOnly_AndNeverOverwrites()
    {
        await SeedAsync();
        var privateKey = Path.Combine(_database.Directory, "heads.pem");
        var publicKey = Path.Combine(_database.Directory, "heads.public.pem");
        var anchors = Path.Combine(_database.Directory, "anchors");

        var (code, output, _) = await RunAsync("new-key", "--out", privateKey);
        var (again, _, refusal) = await RunAsync("new-key", "--out", privateKey);
        await RunAsync("head", "-c", _database.ConnectionString, "--key", privateKey, "--to", anchors);
        var (check, _, _) = await RunAsync("check-head", "--anchor", anchors, "--anchor-key", publicKey);

        code.Should().Be(0);
        output.Should().Contain(publicKey, "the public half is written beside it, named after it");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(privateKey).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        again.Should().Be(2, "a key that signed heads must not be replaced by accident");
        refusal.Should().Contain("exists; nothing was written");
        check.Should().Be(0, "the public key checks what the private key signed");
    }

    public void Dispose() => _database.Dispose();

    private async Task SeedAsync()
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString);
        await using var provider = services.BuildServiceProvider();
        var recorder = provider.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        await recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, evidence);
        await recorder.GrantAsync("bob", ConsentPurposes.GenerativeAiTraining, evidence);
        await recorder.RefuseAsync("carol", ConsentPurposes.GenerativeAiTraining, evidence);
        var run = new[] { "ada", "bob", "carol" }.WhereConsented(provider.GetRequiredService<ConsentFilter>(), a => a, ConsentPurposes.GenerativeAiTraining, new ConsentFilterOptions { DataUseId = "set-1", DataUseDescription = "training set 1" });
        await foreach (var _ in run)
        {
        }
    }

    private void Tamper(string sql)
    {
        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "DROP TRIGGER consent_events_no_update; " + sql;
        command.ExecuteNonQuery();
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] arguments) => RunAsync((IEnumerable<string>)arguments);

    private static Task<(int Code, string Output, string Error)> RunAsync(IEnumerable<string> arguments) => RunToolAsync(arguments);

    /// <summary>Runs the built tool as a process: its exit code, standard output and standard error.</summary>
    internal static async Task<(int Code, string Output, string Error)> RunToolAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ConsentKit.Cli.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
