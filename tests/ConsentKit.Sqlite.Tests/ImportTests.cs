using ConsentKit.Import;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConsentKit.Sqlite.Tests;

/// <summary>The importer on a real SQLite file: another platform's export in, chained, verified and decided on; bad rows refused by line with nothing written.</summary>
public sealed class ImportTests : IDisposable
{
    private const string Training = ConsentPurposes.GenerativeAiTraining;
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ACsvExport_IsChainedVerifiedAndDecidedOn()
    {
        await using var app = await StartAsync(o => o.Columns["subject_id"] = "user_id");
        var file = Write("export.csv",
            "user_id,purpose_id,status,notice_version,recorded_at,method,metadata.origin\n" +
            $"ada,{Training},granted,1,2026-03-01T10:00:00Z,subject-user-interface,onetrust-7\n" +
            $"bob,{Training},granted,1,2026-03-01T10:00:00Z,subject-api-call,\n" +
            $"bob,{Training},withdrawn,1,2026-04-01T10:00:00+02:00,,\n" +
            $"carol,{Training},refused,0,2026-03-02T10:00:00Z,,\n");

        var result = await app.Importer().ImportFileAsync(file, cancellationToken: Ct);

        result.Should().BeEquivalentTo(new { Rows = 4L, Imported = 4L, Skipped = 0L, Grants = 2L, GrantsUnderOlderNotice = 0L, Batches = 1 });
        var gate = app.Services.GetRequiredService<IConsentGate>();
        (await gate.CheckAsync("ada", Training, Ct)).IsAllowed.Should().BeTrue();
        (await gate.CheckAsync("bob", Training, Ct)).IsAllowed.Should().BeFalse("bob withdrew after granting");
        (await gate.CheckAsync("carol", Training, Ct)).IsAllowed.Should().BeFalse();
        var ada = (await app.Store.GetHistoryAsync("ada", Ct)).Single();
        ada.Method.Should().Be(ConsentMethod.SubjectUserInterface);
        ada.Source.Should().Be("import");
        ada.Metadata.Should().Contain("origin", "onetrust-7");
        (await app.Store.GetHistoryAsync("bob", Ct))[1].Method.Should().Be(ConsentMethod.Import, "a withdrawal without a method is the import's");
        (await new ConsentHistoryVerifier(app.Store).VerifyAsync(cancellationToken: Ct)).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task BadRows_AreRefusedByLineAndField_AndNothingIsWritten()
    {
        await using var app = await StartAsync();
        var file = Write("export.csv",
            "subject_id,purpose_id,status,notice_version,recorded_at,method\n" +
            $"ada,{Training},granted,1,2026-03-01T10:00:00Z,subject-user-interface\n" +
            $"bob,{Training},granted,1,2026-03-01T10:00:00Z,\n" +
            $"carol,{Training},granted,1,2026-03-01T10:00:00Z,operator\n" +
            $"dan,{Training},granted,7,2026-03-01T10:00:00Z,subject-user-interface\n" +
            $"erin,marketing.unknown,refused,1,2026-03-01T10:00:00Z,\n" +
            $"finn,{Training},maybe,1,2026-03-01T10:00:00Z,\n" +
            $"gus,{Training},refused,1,2026-03-01 10:00:00,\n" +
            $"hal,{Training},refused,1,2999-03-01T10:00:00Z,\n" +
            $",{Training},refused,1,2026-03-01T10:00:00Z,\n");

        var act = () => app.Importer().ImportFileAsync(file, cancellationToken: Ct);

        var error = (await act.Should().ThrowAsync<ConsentImportException>()).Which;
        error.ParamName.Should().Be("path");
        error.RowsWithProblems.Should().Be(8);
        error.Problems.Select(p => (p.Line, p.Field)).Should().Equal(
            (3, "method"), (4, "method"), (5, "notice_version"), (6, "purpose_id"), (7, "status"), (8, "recorded_at"), (9, "recorded_at"), (10, "subject_id"));
        error.Problems[2].Message.Should().Contain("keeps no notice '7'");
        (await app.Store.GetLastSequenceAsync(Ct)).Should().Be(0, "one bad row refuses the whole file");
    }

    [Fact]
    public async Task AnUnknownColumn_IsRefusedBeforeAnyRow()
    {
        await using var app = await StartAsync();
        var file = Write("export.csv", "subject_id,purpose,status,notice_version,recorded_at\n" + $"ada,{Training},refused,1,2026-03-01T10:00:00Z\n");

        var error = (await app.Importer().Awaiting(i => i.ImportFileAsync(file, cancellationToken: Ct)).Should().ThrowAsync<ConsentImportException>()).Which;

        error.Problems.Select(p => p.ToString()).Should().Contain(p => p.StartsWith("line 1, purpose: The column 'purpose' is not a field", StringComparison.Ordinal))
            .And.Contain(p => p.StartsWith("line 1, purpose_id: The header has no column 'purpose_id'", StringComparison.Ordinal));
        (await app.Store.GetLastSequenceAsync(Ct)).Should().Be(0);
    }

    [Fact]
    public async Task AnImport_NeverMakesAnOlderChoiceCurrent_AndARerunSkipsWhatItWrote()
    {
        await using var app = await StartAsync(o => o.BatchSize = 1);
        await app.Services.GetRequiredService<IConsentRecorder>().WithdrawAsync("ada", Training, ConsentEvidence.FromUserInterface("1", "settings-page"), Ct);
        var file = Write("export.jsonl",
            $$"""{"subject_id":"ada","purpose_id":"{{Training}}","status":"granted","notice_version":"1","recorded_at":"2026-03-01T10:00:00Z","method":"subject-user-interface"}""" + "\n" +
            $$$"""{"subject_id":"bob","purpose_id":"{{{Training}}}","status":"granted","notice_version":"1","recorded_at":"2026-03-01T10:00:00Z","method":"subject-user-interface","metadata":{"origin":"x"}}""" + "\n\n" +
            $$"""{"subject_id":"bob","purpose_id":"{{Training}}","status":"refused","notice_version":"1","recorded_at":"2026-02-01T10:00:00Z"}""" + "\n");

        var first = await app.Importer().ImportFileAsync(file, cancellationToken: Ct);
        var again = await app.Importer().ImportFileAsync(file, cancellationToken: Ct);

        first.Should().BeEquivalentTo(new { Rows = 3L, Imported = 1L, Skipped = 2L, Batches = 1 }, "ada's withdrawal today is newer than her grant in March; bob's February refusal is older than his grant");
        again.Should().BeEquivalentTo(new { Rows = 3L, Imported = 0L, Skipped = 3L, Batches = 0 });
        var gate = app.Services.GetRequiredService<IConsentGate>();
        (await gate.CheckAsync("ada", Training, Ct)).IsAllowed.Should().BeFalse("her withdrawal stays current");
        (await gate.CheckAsync("bob", Training, Ct)).IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task AnImport_InvalidatesTheGatesCacheForThePeopleItWrote()
    {
        await using var app = await StartAsync();
        var gate = app.Services.GetRequiredService<IConsentGate>();
        (await gate.CheckAsync("ada", Training, Ct)).IsAllowed.Should().BeFalse();
        var file = Write("export.csv", "subject_id,purpose_id,status,notice_version,recorded_at,method\n" + $"ada,{Training},granted,1,2026-03-01T10:00:00Z,subject-user-interface\n");

        await app.Importer().ImportFileAsync(file, cancellationToken: Ct);

        (await gate.CheckAsync("ada", Training, Ct)).IsAllowed.Should().BeTrue("the cached denial was dropped");
    }

    [Fact]
    public async Task BadOptionsAndStreams_AreRefused()
    {
        await using var app = await StartAsync(o =>
        {
            o.BatchSize = 0;
            o.Columns["user"] = "x";
        });

        var options = () => app.Services.GetRequiredService<IOptions<ConsentImportOptions>>().Value;
        options.Should().Throw<OptionsValidationException>().Which.Failures.Should().HaveCount(2);
        await using var good = await StartAsync();
        await good.Importer().Awaiting(i => i.ImportAsync(new NonSeekable(), ConsentImportFormat.Csv, Ct)).Should().ThrowAsync<ArgumentException>().WithParameterName("input");
        await good.Importer().Awaiting(i => i.ImportFileAsync(Write("export.txt", "x"), cancellationToken: Ct)).Should().ThrowAsync<ArgumentException>().WithParameterName("format");
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_database.Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private async Task<App> StartAsync(Action<ConsentImportOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString).AddConsentImport(configure);
        var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IConsentStore>();
        await store.SaveNoticesAsync([.. provider.GetRequiredService<ConsentPurposeCatalog>().Purposes.Select(ConsentNotice.For)], DateTimeOffset.UtcNow, Ct);
        return new App(provider, store);
    }

    private sealed record App(ServiceProvider Services, IConsentStore Store) : IAsyncDisposable
    {
        public IConsentImporter Importer() => Services.GetRequiredService<IConsentImporter>();

        public ValueTask DisposeAsync() => Services.DisposeAsync();
    }

    private sealed class NonSeekable : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
