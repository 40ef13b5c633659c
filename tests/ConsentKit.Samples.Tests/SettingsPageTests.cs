using System.Net;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Samples.Tests;

/// <summary>Settings → Data and privacy: every choice takes effect or is refused with a reason, and bad input writes nothing.</summary>
public sealed class SettingsPageTests : IDisposable
{
    private readonly WebAppFactory _factory = new();

    private IConsentStore Store => _factory.Services.GetRequiredService<IConsentStore>();

    [Theory]
    [InlineData(null, "turnOn")]
    [InlineData("maybe", "turnOn")]
    [InlineData("True ", "turnOn")]
    public async Task AMissingOrMalformedTurnOn_Is400Problem_AndWritesNothing(string? turnOn, string field)
    {
        var ada = await _factory.SignInAsync("ada");
        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
        var form = new Dictionary<string, string>
        {
            ["purposeId"] = ConsentPurposes.GenerativeAiTraining,
            ["noticeVersion"] = "1",
            ["__RequestVerificationToken"] = WebAppFactory.TokenIn(page),
        };
        if (turnOn is not null)
        {
            form["turnOn"] = turnOn;
        }

        var response = await ada.PostAsync("/settings/privacy", new FormUrlEncodedContent(form), TestContext.Current.CancellationToken);

        await ShouldBeProblem(response, HttpStatusCode.BadRequest, field);
        (await Store.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Should().BeEmpty();
    }

    [Fact]
    public async Task Erase_AsksFirst_ThenUnlinksTheHistory_AndTheHistoryShowedTheNoticeText()
    {
        var ct = TestContext.Current.CancellationToken;
        var ada = await _factory.SignInAsync("ada");
        var recorder = _factory.Services.GetRequiredService<IConsentRecorder>();
        await recorder.GrantAsync("ada", ConsentPurposes.AiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);
        var before = await ada.GetStringAsync("/settings/privacy", ct);
        before.Should().Contain("(version 1)").And.Contain("Erase my consent history…");

        var confirmation = await ada.GetStringAsync("/settings/privacy?erase=confirm", ct);
        confirmation.Should().Contain("This cannot be undone").And.Contain("Yes, erase it");
        (await Store.GetHistoryAsync("ada", ct)).Should().ContainSingle("asking erases nothing");

        var notConfirmed = await ada.PostAsync("/settings/privacy?handler=Erase", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebAppFactory.TokenIn(confirmation),
        }), ct);
        await ShouldBeProblem(notConfirmed, HttpStatusCode.BadRequest, "confirm");
        (await Store.GetHistoryAsync("ada", ct)).Should().ContainSingle();

        var erased = await ada.PostAsync("/settings/privacy?handler=Erase", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["confirm"] = "yes",
            ["__RequestVerificationToken"] = WebAppFactory.TokenIn(confirmation),
        }), ct);

        erased.StatusCode.Should().Be(HttpStatusCode.Found);
        (await ada.GetStringAsync(erased.Headers.Location, ct)).Should().Contain("Erased: 1 purpose(s) turned off").And.Contain("No choices recorded yet.");
        (await Store.GetHistoryAsync("ada", ct)).Should().BeEmpty();
        (await new ConsentHistoryVerifier(Store).VerifyAsync(cancellationToken: ct)).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task AnUnknownPurpose_Is400Problem_AndWritesNothing()
    {
        var ada = await _factory.SignInAsync("ada");
        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);

        var response = await ada.PostAsync("/settings/privacy", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["purposeId"] = "ai-trainnig",
            ["turnOn"] = "true",
            ["noticeVersion"] = "1",
            ["__RequestVerificationToken"] = WebAppFactory.TokenIn(page),
        }), TestContext.Current.CancellationToken);

        await ShouldBeProblem(response, HttpStatusCode.BadRequest, "purposeId");
        (await Store.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Should().BeEmpty();
    }

    [Fact]
    public async Task AChunkedBodyOf3MB_IsRefused_AndWritesNothing()
    {
        var ada = await _factory.SignInAsync("ada");
        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
        var body = $"__RequestVerificationToken={Uri.EscapeDataString(WebAppFactory.TokenIn(page))}&purposeId={ConsentPurposes.GenerativeAiTraining}&turnOn=true&noticeVersion=1&padding="
            + new string('x', 3 * 1024 * 1024);
        var content = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes(body)));
        content.Headers.ContentType = new("application/x-www-form-urlencoded");
        content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/settings/privacy") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await ada.SendAsync(request, TestContext.Current.CancellationToken);

        ((int)response.StatusCode).Should().BeInRange(400, 499);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json", "a refusal says what was refused, not a bare status");
        (await Store.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Should().BeEmpty();
    }

    [Fact]
    public async Task ASwitchSaidTwice_Is400Problem_AndWritesNothing()
    {
        var ada = await _factory.SignInAsync("ada");
        await Toggle(ada, ConsentPurposes.Analytics, turnOn: true);
        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
        var before = await Store.GetHistoryAsync("ada", TestContext.Current.CancellationToken);

        var response = await ada.PostAsync("/settings/privacy", new FormUrlEncodedContent(
        [
            new("purposeId", ConsentPurposes.Analytics),
            new("noticeVersion", "1"),
            new("turnOn", "false"),
            new("turnOn", "true"),
            new("__RequestVerificationToken", WebAppFactory.TokenIn(page)),
        ]), TestContext.Current.CancellationToken);

        await ShouldBeProblem(response, HttpStatusCode.BadRequest, "turnOn");
        (await Store.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Should().HaveCount(before.Count, "neither reading of the choice was saved");
    }

    [Fact]
    public async Task TurningOffWhatIsNotOn_WritesNothing_AndSaysSo()
    {
        var ada = await _factory.SignInAsync("ada");

        for (var i = 0; i < 3; i++)
        {
            await Toggle(ada, ConsentPurposes.Analytics, turnOn: false);
        }

        (await Store.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Should().BeEmpty("nothing was on, so nothing changed");
        (await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken)).Should().Contain("Analytics was not on, so nothing changed.");
    }

    [Fact]
    public async Task Purposes_AreATree_TheChildUnderItsParent_SayingWhatTheParentsStateMeans()
    {
        var ada = await _factory.SignInAsync("ada");
        await Toggle(ada, ConsentPurposes.GenerativeAiTraining, turnOn: true);

        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);

        var parentAt = page.IndexOf($"data-purpose=\"{ConsentPurposes.AiTraining}\"", StringComparison.Ordinal);
        var childAt = page.IndexOf($"data-purpose=\"{ConsentPurposes.GenerativeAiTraining}\"", StringComparison.Ordinal);
        childAt.Should().BeGreaterThan(parentAt, "the child follows its parent");
        page[(parentAt + 1)..childAt].Should().NotContain("data-purpose=\"", "nothing comes between them");
        Section(page, ConsentPurposes.GenerativeAiTraining).Should().Contain("data-depth=\"1\"")
            .And.Contain("Only this; Data for AI training, the broader choice above, stays off.");
        Section(page, ConsentPurposes.AiTraining).Should().Contain("data-depth=\"0\"").And.NotContain("data-testid=\"relation\"");
    }

    [Fact]
    public async Task AChildUnderAnOffParent_SaysWhy_AndTurnBothOnRecordsTwoGrantsAsThePersonsActs()
    {
        var ada = await _factory.SignInAsync("ada");
        await Toggle(ada, ConsentPurposes.AiTraining, turnOn: true);
        await Toggle(ada, ConsentPurposes.AiTraining, turnOn: false);
        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
        var child = Section(page, ConsentPurposes.GenerativeAiTraining);
        child.Should().Contain("data-testid=\"blocked\"").And.Contain("Data for AI training is off, so this cannot be on.").And.Contain("Turn both on");
        var before = (await Store.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Count;

        // The plain switch post (e.g. from an old page) is refused with a reason, not "saved".
        await Toggle(ada, ConsentPurposes.GenerativeAiTraining, turnOn: true);
        var refused = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
        refused.Should().Contain("Data for AI training is off, so Data for Generative AI improvement cannot be on; nothing was saved.");
        (await Store.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Should().HaveCount(before);

        var both = await ada.PostAsync("/settings/privacy?handler=WithParents", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["purposeId"] = ConsentPurposes.GenerativeAiTraining,
            ["__RequestVerificationToken"] = WebAppFactory.TokenIn(refused),
        }), TestContext.Current.CancellationToken);

        both.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var history = await Store.GetHistoryAsync("ada", TestContext.Current.CancellationToken);
        history.Skip(before).Select(r => (r.PurposeId, r.Status, r.Method)).Should().Equal(
            (ConsentPurposes.AiTraining, ConsentStatus.Granted, ConsentMethod.SubjectUserInterface),
            (ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, ConsentMethod.SubjectUserInterface));
        Section(await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken), ConsentPurposes.GenerativeAiTraining)
            .Should().Contain("aria-checked=\"true\"");
    }

    [Fact]
    public async Task TurningTheParentOff_NamesOnlyWhatItTurnedOff()
    {
        var ada = await _factory.SignInAsync("ada");
        await Toggle(ada, ConsentPurposes.AiTraining, turnOn: true);

        await Toggle(ada, ConsentPurposes.AiTraining, turnOn: false);

        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
        page.Should().Contain("Data for AI training is now off").And.NotContain("anything you turned on under it", "nothing under it was on");
    }

    [Fact]
    public async Task TurningTheParentOff_TurnsTheChildOffToo_AndTurningTheParentOnAgainDoesNotRevivesIt()
    {
        var ada = await _factory.SignInAsync("ada");
        await Toggle(ada, ConsentPurposes.GenerativeAiTraining, turnOn: true);
        await Toggle(ada, ConsentPurposes.AiTraining, turnOn: true);

        await Toggle(ada, ConsentPurposes.AiTraining, turnOn: false);
        (await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken))
            .Should().Contain("Data for AI training is now off, and so is anything you turned on under it (Data for Generative AI improvement)");
        await Toggle(ada, ConsentPurposes.AiTraining, turnOn: true);

        Section(await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken), ConsentPurposes.GenerativeAiTraining)
            .Should().Contain("aria-checked=\"false\"").And.Contain("Off since");
        (await _factory.CreatePartnerClient().GetAsync("/partner/users/ada/posts", TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task TurnEverythingOff_WithdrawsEveryGrantAtOnce()
    {
        var ada = await _factory.SignInAsync("ada");
        await Toggle(ada, ConsentPurposes.GenerativeAiTraining, turnOn: true);
        await Toggle(ada, ConsentPurposes.Analytics, turnOn: true);
        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
        page.Should().Contain("data-testid=\"withdraw-all\"");

        var response = await ada.PostAsync("/settings/privacy?handler=WithdrawAll", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebAppFactory.TokenIn(page),
        }), TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var after = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
        after.Should().Contain("turned off");
        Section(after, ConsentPurposes.GenerativeAiTraining).Should().Contain("aria-checked=\"false\"");
        Section(after, ConsentPurposes.Analytics).Should().Contain("aria-checked=\"false\"");
        (await Store.GetCurrentAsync("ada", TestContext.Current.CancellationToken)).Should().OnlyContain(r => r.Status == ConsentStatus.Withdrawn);
    }

    public void Dispose() => _factory.Dispose();

    private static async Task Toggle(HttpClient client, string purposeId, bool turnOn)
    {
        var page = await client.GetStringAsync("/settings/privacy");
        var response = await client.PostAsync("/settings/privacy", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["purposeId"] = purposeId,
            ["noticeVersion"] = "1",
            ["turnOn"] = turnOn ? "true" : "false",
            ["__RequestVerificationToken"] = WebAppFactory.TokenIn(page),
        }));
        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
    }

    private static async Task ShouldBeProblem(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        response.StatusCode.Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("field").GetString().Should().Be(field);
        problem.GetProperty("detail").GetString().Should().Contain("nothing was saved");
    }

    private static string Section(string html, string purposeId)
    {
        var start = html.IndexOf($"data-purpose=\"{purposeId}\"", StringComparison.Ordinal);
        var end = html.IndexOf("</section>", start, StringComparison.Ordinal);
        return html[start..end];
    }
}

public sealed class SettingsPageWordingTests : IDisposable
{
    private readonly WebAppFactory _factory = new();

    [Fact]
    public async Task ASwitchOffBecauseOfTheBrowsersPrivacySignal_SaysSo_AndHistoryUsesNamesAndPlainWords()
    {
        var ada = await _factory.SignInAsync("ada");
        using var withSignal = new HttpRequestMessage(HttpMethod.Get, "/settings/privacy");
        withSignal.Headers.Add("Sec-GPC", "1");
        (await ada.SendAsync(withSignal, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);

        Section(page, ConsentPurposes.AiTraining).Should().Contain("Off by your browser&#x27;s privacy signal (Global Privacy Control)");
        Section(page, ConsentPurposes.GenerativeAiTraining).Should().Contain("Off, because Data for AI training is off by your browser&#x27;s privacy signal");
        var history = page[page.IndexOf("data-testid=\"history\"", StringComparison.Ordinal)..];
        history.Should().Contain("Data for AI training").And.Contain("refused").And.Contain("your browser&#x27;s privacy signal");
        history.Should().NotContain("PrivacySignal").And.NotContain(">ai-training<");
    }

    public void Dispose() => _factory.Dispose();

    private static string Section(string html, string purposeId)
    {
        var start = html.IndexOf($"data-purpose=\"{purposeId}\"", StringComparison.Ordinal);
        var end = html.IndexOf("</section>", start, StringComparison.Ordinal);
        return html[start..end];
    }
}
