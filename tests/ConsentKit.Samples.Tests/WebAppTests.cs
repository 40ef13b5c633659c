using System.Net;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ConsentKit.Samples.Tests;

public sealed class WebAppTests : IDisposable
{
    private readonly WebAppFactory _factory = new();

    [Fact]
    public async Task SignInPage_ListsTheDemoPeople()
    {
        var html = await _factory.CreateClient().GetStringAsync("/signin");

        html.Should().Contain("Ada Lovelace").And.Contain("Grace Hopper").And.Contain("Demo Operator");
    }

    [Fact]
    public async Task Settings_NeedSignIn()
    {
        var response = await _factory.CreateClient(new() { AllowAutoRedirect = false }).GetAsync("/settings/privacy");

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().Should().Contain("/signin");
    }

    [Fact]
    public async Task GenerativeAiSwitch_IsOffUntilThePersonTurnsItOn_ThenOneClickEachWay()
    {
        var ada = await _factory.SignInAsync("ada");

        var before = await ada.GetStringAsync("/settings/privacy");
        Switch(before, ConsentPurposes.GenerativeAiTraining).Should().Contain("aria-checked=\"false\"").And.Contain("Off, you have not chosen");

        (await Toggle(ada, before, ConsentPurposes.GenerativeAiTraining, turnOn: true)).StatusCode.Should().Be(HttpStatusCode.Redirect);
        var on = await ada.GetStringAsync("/settings/privacy");
        Switch(on, ConsentPurposes.GenerativeAiTraining).Should().Contain("aria-checked=\"true\"").And.Contain("On since");
        (await ada.GetAsync("/users/ada")).Headers.GetValues("Content-Usage").Should().Equal("train-ai=y");
        (await _factory.CreatePartnerClient().GetAsync("/partner/users/ada/posts")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "a partner also needs her consent to sharing");
        (await Toggle(ada, on, ConsentPurposes.ThirdPartySharing, turnOn: true)).StatusCode.Should().Be(HttpStatusCode.Redirect);
        on = await ada.GetStringAsync("/settings/privacy");
        (await _factory.CreatePartnerClient().GetAsync("/partner/users/ada/posts")).StatusCode.Should().Be(HttpStatusCode.OK);

        await Toggle(ada, on, ConsentPurposes.GenerativeAiTraining, turnOn: false);
        var off = await ada.GetStringAsync("/settings/privacy");
        Switch(off, ConsentPurposes.GenerativeAiTraining).Should().Contain("aria-checked=\"false\"").And.Contain("Off since");
        (await ada.GetAsync("/users/ada")).Headers.GetValues("Content-Usage").Should().Equal("train-ai=n");
        (await _factory.CreatePartnerClient().GetAsync("/partner/users/ada/posts")).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var download = await ada.GetAsync("/settings/privacy/download");
        download.Content.Headers.ContentDisposition!.FileName.Should().Contain("consent-records-ada.json");
        var records = JsonDocument.Parse(await download.Content.ReadAsStringAsync()).RootElement.GetProperty("records");
        records.EnumerateArray().Where(r => r.GetProperty("purpose_id").GetString() == ConsentPurposes.GenerativeAiTraining)
            .Select(r => r.GetProperty("status").GetString()).Should().Equal("granted", "withdrawn");
        records.EnumerateArray().Should().OnlyContain(r => r.GetProperty("method").GetString() == "subject-user-interface");
        records.EnumerateArray().First(r => r.GetProperty("purpose_id").GetString() == ConsentPurposes.GenerativeAiTraining)
            .GetProperty("notice_text").GetString().Should().Be("Use my data for training content-creation AI models.", "the export shows the words she agreed to");
        records.EnumerateArray().Should().OnlyContain(r => r.GetProperty("receipt").GetString()!.Split('.', StringSplitOptions.None).Length == 3, "each record comes with its signed receipt");
    }

    [Fact]
    public async Task ToggleWithoutAntiforgeryToken_IsRejected_AndWritesNothing()
    {
        var ada = await _factory.SignInAsync("ada");

        var response = await ada.PostAsync("/settings/privacy", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["purposeId"] = ConsentPurposes.GenerativeAiTraining,
            ["noticeVersion"] = "1",
            ["turnOn"] = "true",
        }));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await _factory.Services.GetRequiredService<IConsentStore>().GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Should().BeEmpty();
    }

    [Fact]
    public async Task AGrantUnderAnOlderNotice_AsksThePersonToAgreeAgain()
    {
        var ada = await _factory.SignInAsync("ada");
        await _factory.Services.GetRequiredService<IConsentStore>().AppendAsync(new NewConsentRecord(
            "ada", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "0", DateTimeOffset.UtcNow.AddDays(-3), null, ConsentMethod.SubjectUserInterface, "settings-page"),
            TestContext.Current.CancellationToken);

        var html = await ada.GetStringAsync("/settings/privacy");

        Switch(html, ConsentPurposes.GenerativeAiTraining).Should().Contain("aria-checked=\"false\"")
            .And.Contain("You agreed to version 0; the notice is now version 1");
    }

    [Fact]
    public async Task Admin_IsForTheOperatorOnly()
    {
        var ada = await _factory.SignInAsync("ada");
        var operatorClient = await _factory.SignInAsync("operator");

        (await ada.GetAsync("/admin")).StatusCode.Should().Be(HttpStatusCode.Redirect);
        (await operatorClient.GetAsync("/admin")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheAdminAuditOfATrainingSet_Passes_ThenListsAWithdrawalMadeAfterIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var operatorClient = await _factory.SignInAsync("operator");
        var recorder = _factory.Services.GetRequiredService<IConsentRecorder>();
        await recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);
        var report = await _factory.Services.GetRequiredService<ConsentKit.Samples.WebApp.Demo.TrainingSets>().BuildAsync(ct);
        var id = report.DataUse!.Id;

        var before = await operatorClient.GetStringAsync($"/admin?audit={Uri.EscapeDataString(id)}", ct);
        await recorder.WithdrawAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);
        var after = await operatorClient.GetStringAsync($"/admin?audit={Uri.EscapeDataString(id)}", ct);

        before.Should().Contain("data-testid=\"audit\" data-passed=\"true\"").And.Contain("0 withdrawn since");
        after.Should().Contain("1 withdrawn since: ada");
    }

    [Fact]
    public async Task WithOpenLineageConfigured_ABuiltTrainingSet_IsReportedAsARunThatStartsAndCompletes()
    {
        var ct = TestContext.Current.CancellationToken;
        var events = Path.Combine(_factory.DataDirectory, "lineage.jsonl");
        using var factory = _factory.WithWebHostBuilder(b => b.UseSetting("ConsentKit:OpenLineage:FilePath", events));
        await factory.Services.GetRequiredService<IConsentRecorder>().GrantAsync(
            "ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);

        var report = await factory.Services.GetRequiredService<ConsentKit.Samples.WebApp.Demo.TrainingSets>().BuildAsync(ct);

        var run = (await File.ReadAllLinesAsync(events, ct)).Select(ConsentKit.OpenLineage.OpenLineageRunEvent.Parse)
            .Where(e => e.ConsentKit.DataUseId == report.DataUse!.Id).ToList();
        run.Select(e => e.EventType).Should().Equal(ConsentKit.OpenLineage.OpenLineageEventType.Start, ConsentKit.OpenLineage.OpenLineageEventType.Complete);
        run[1].ConsentKit.SubjectsIncluded.Should().Be(report.DataUse!.SubjectCount);
    }

    [Fact]
    public async Task EachHistoryRow_LinksToASignedReceipt_ThatServesTheMembersOwnRecord()
    {
        var ct = TestContext.Current.CancellationToken;
        var ada = await _factory.SignInAsync("ada");
        var grant = await _factory.Services.GetRequiredService<IConsentRecorder>()
            .GrantAsync("ada", ConsentPurposes.Analytics, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);

        var page = await ada.GetStringAsync("/settings/privacy", ct);
        var receipt = await ada.GetAsync($"/api/consents/receipts/{grant.Sequence}", ct);

        page.Should().Contain($"href=\"/api/consents/receipts/{grant.Sequence}\"");
        receipt.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonDocument.Parse(await receipt.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("receipt").GetProperty("pii_principal_id").GetString().Should().Be("ada");
    }

    [Fact]
    public async Task ConsentApi_IsMounted_ForTheSignedInPerson()
    {
        var ada = await _factory.SignInAsync("ada");

        var purposes = JsonDocument.Parse(await ada.GetStringAsync("/api/consents")).RootElement;

        purposes.EnumerateArray().Select(p => p.GetProperty("purposeId").GetString()).Should().Contain([ConsentPurposes.GenerativeAiTraining, "research"]);
        (await _factory.CreateClient().GetAsync("/api/consents")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task StoreFailure_ShowsAClearError_AndNobodyAppearsOptedIn()
    {
        using var failing = WebAppFactory.WithUnavailableStore();
        var ada = await failing.SignInAsync("ada");
        await failing.Services.GetRequiredService<ConsentKit.Samples.WebApp.Demo.PostRepository>().EnsureSeededAsync(TestContext.Current.CancellationToken);

        var html = await ada.GetStringAsync("/settings/privacy");

        html.Should().Contain("data-testid=\"store-error\"").And.NotContain("aria-checked=\"true\"");
        (await failing.CreatePartnerClient().GetAsync("/partner/users/grace/posts")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await failing.CreateClient().GetAsync("/users/grace")).Headers.GetValues("Content-Usage").Should().Equal("train-ai=n");
    }

    [Fact]
    public void AnUnknownStoreKind_StopsTheAppWithAClearMessage()
    {
        using var factory = new WebAppFactory().WithWebHostBuilder(b => b.UseSetting("ConsentKit:Store", "mongodb"));

        var act = () => factory.CreateClient();

        act.Should().Throw<InvalidOperationException>().WithMessage("*'mongodb'*use 'sqlite'*or 'postgresql'*");
    }

    [Fact]
    public void PostgreSqlWithoutAConnectionString_StopsTheAppSayingWhatIsMissing()
    {
        using var factory = new WebAppFactory().WithWebHostBuilder(b => b.UseSetting("ConsentKit:Store", "postgresql"));

        var act = () => factory.CreateClient();

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*ConnectionString is required*");
    }

    private static async Task<HttpResponseMessage> Toggle(HttpClient client, string page, string purposeId, bool turnOn) =>
        await client.PostAsync("/settings/privacy", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["purposeId"] = purposeId,
            ["noticeVersion"] = "1",
            ["turnOn"] = turnOn ? "true" : "false",
            ["__RequestVerificationToken"] = WebAppFactory.TokenIn(page),
        }));

    private static string Switch(string html, string purposeId)
    {
        var start = html.IndexOf($"data-purpose=\"{purposeId}\"", StringComparison.Ordinal);
        var end = html.IndexOf("</section>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    public void Dispose() => _factory.Dispose();
}
