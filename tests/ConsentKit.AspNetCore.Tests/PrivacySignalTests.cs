using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;

namespace ConsentKit.AspNetCore.Tests;

public sealed class PrivacySignalTests
{
    [Fact]
    public async Task Gpc1_RecordsARefusal_ForHonouringPurposesWithoutAChoice_AsAPrivacySignal()
    {
        await using var app = await TestApp.StartAsync(a => a.MapGet("/", () => "home"));

        await Send(app, "alice", "1");

        var history = await app.HistoryAsync("alice");
        history.Select(r => r.PurposeId).Should().BeEquivalentTo([ConsentPurposes.AiTraining, ConsentPurposes.GenerativeAiTraining, ConsentPurposes.ThirdPartySharing]);
        history.Should().OnlyContain(r => r.Status == ConsentStatus.Refused && r.Method == ConsentMethod.PrivacySignal && r.Source == "sec-gpc");
    }

    [Fact]
    public async Task Gpc_IsRecordedOnce_NotOnEveryRequest()
    {
        await using var app = await TestApp.StartAsync(a => a.MapGet("/", () => "home"));

        await Send(app, "alice", "1");
        await Send(app, "alice", "1");

        (await app.HistoryAsync("alice")).Should().HaveCount(3);
    }

    [Theory]
    [InlineData("0")]
    [InlineData(" 1")]
    [InlineData("true")]
    [InlineData("1.0")]
    [InlineData("")]
    public async Task OtherValues_AreIgnored(string value)
    {
        await using var app = await TestApp.StartAsync(a => a.MapGet("/", () => "home"));

        await Send(app, "alice", value);

        (await app.HistoryAsync("alice")).Should().BeEmpty();
    }

    [Fact]
    public async Task TwoHeaders_AnyOneCounts()
    {
        await using var app = await TestApp.StartAsync(a => a.MapGet("/", () => "home"));
        var request = app.Request(HttpMethod.Get, "/", "alice");
        request.Headers.TryAddWithoutValidation("Sec-GPC", ["0", "1"]);

        await app.Client.SendAsync(request);

        (await app.HistoryAsync("alice")).Should().HaveCount(3);
    }

    [Fact]
    public async Task Gpc_NeverOverwritesAnExplicitChoice_AndNeverGrants()
    {
        await using var app = await TestApp.StartAsync(a => a.MapGet("/genai", () => "ok").RequireConsent(ConsentPurposes.GenerativeAiTraining));
        await app.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining);

        var response = await Send(app, "alice", "1", "/genai");

        response.StatusCode.Should().Be(HttpStatusCode.OK, "alice's own explicit grant stands");
        var history = await app.HistoryAsync("alice");
        history.Where(r => r.PurposeId == ConsentPurposes.GenerativeAiTraining).Should().ContainSingle().Which.Status.Should().Be(ConsentStatus.Granted);
        history.Should().NotContain(r => r.PurposeId == ConsentPurposes.AiTraining, "refusing the parent would block the child she granted");
        history.Should().Contain(r => r.PurposeId == ConsentPurposes.ThirdPartySharing && r.Status == ConsentStatus.Refused);
        history.Should().NotContain(r => r.Method == ConsentMethod.PrivacySignal && r.Status == ConsentStatus.Granted);
    }

    [Fact]
    public async Task Gpc_FromAnAnonymousVisitor_RecordsNothing()
    {
        await using var app = await TestApp.StartAsync(a => a.MapGet("/", () => "home"));

        (await Send(app, null, "1")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task WellKnownGpcJson_IsServed()
    {
        await using var app = await TestApp.StartAsync(a => a.MapGlobalPrivacyControlWellKnown());

        var json = await (await app.GetAsync("/.well-known/gpc.json")).Content.ReadFromJsonAsync<JsonElement>();

        json.GetProperty("gpc").GetBoolean().Should().BeTrue();
        json.GetProperty("lastUpdate").GetString().Should().Be("2026-11-01");
    }

    private static Task<HttpResponseMessage> Send(TestApp app, string? user, string value, string url = "/")
    {
        var request = app.Request(HttpMethod.Get, url, user);
        request.Headers.TryAddWithoutValidation("Sec-GPC", value);
        return app.Client.SendAsync(request);
    }
}
