using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ConsentKit.AspNetCore.Tests;

public sealed class EnforcementTests
{
    private static void MapSamples(WebApplication app)
    {
        app.MapGet("/genai", () => "ok").RequireConsent(ConsentPurposes.GenerativeAiTraining);
        var group = app.MapGroup("/personal").RequireConsent(ConsentPurposes.Personalization);
        group.MapGet("/feed", () => "feed");
        group.MapGet("/about", () => "about").AllowWithoutConsent();
        app.MapGet("/partner/users/{userId}/posts", (string userId) => $"posts of {userId}")
            .RequireConsent(ConsentPurposes.GenerativeAiTraining, ConsentSubject.FromRoute("userId"));
        app.MapGet("/twice", async (HttpContext context) =>
        {
            var decision = await context.CheckConsentAsync("alice", ConsentPurposes.GenerativeAiTraining);
            return decision.IsAllowed ? "still allowed" : "denied";
        }).RequireConsent(ConsentPurposes.GenerativeAiTraining);
    }

    [Fact]
    public async Task ADecisionFeaturePlantedByOtherCode_IsIgnored_OnlyTheGateDecides()
    {
        await using var app = await TestApp.StartAsync(a =>
        {
            a.Use((context, next) =>
            {
                context.Features.Set<IConsentDecisionFeature>(new AlwaysAllowed());
                return next(context);
            });
            a.MapGet("/genai", () => "ok").RequireConsent(ConsentPurposes.GenerativeAiTraining);
        });

        var response = await app.GetAsync("/genai", "alice");

        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Forbidden);
    }

    private sealed class AlwaysAllowed : IConsentDecisionFeature
    {
        public bool TryGet(string subjectId, string purposeId, out ConsentDecision decision)
        {
            decision = ConsentDecision.Allow(purposeId, new ConsentRecord(1, new NewConsentRecord(subjectId, purposeId, ConsentStatus.Granted, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.SubjectUserInterface)));
            return true;
        }
    }

    [Fact]
    public async Task MinimalApi_WithGrant_Runs()
    {
        await using var app = await TestApp.StartAsync(MapSamples);
        await app.GrantAsync("alice");

        var response = await app.GetAsync("/genai", "alice");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("ok");
    }

    [Fact]
    public async Task MinimalApi_WithoutRecord_Is403ProblemDetails_WithReasonAndWhereToConsent()
    {
        await using var app = await TestApp.StartAsync(MapSamples);

        var response = await app.GetAsync("/genai", "alice");

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("status").GetInt32().Should().Be(403);
        problem.GetProperty("purpose").GetString().Should().Be(ConsentPurposes.GenerativeAiTraining);
        problem.GetProperty("reason").GetString().Should().Be("no-record");
        problem.GetProperty("consentUrl").GetString().Should().Be("/settings/privacy");
    }

    [Theory]
    [InlineData("refused", "refused")]
    [InlineData("withdrawn", "withdrawn")]
    [InlineData("expired", "expired")]
    public async Task EveryDenialReason_ReachesTheProblemDetails(string situation, string reason)
    {
        await using var app = await TestApp.StartAsync(a => a.MapGet("/news", () => "ok").RequireConsent("newsletter"));
        switch (situation)
        {
            case "refused":
                await app.RefuseAsync("alice", "newsletter");
                break;
            case "withdrawn":
                await app.GrantAsync("alice", "newsletter");
                await app.WithdrawAsync("alice", "newsletter");
                break;
            case "expired":
                await app.GrantAsync("alice", "newsletter");
                app.Time.Advance(TimeSpan.FromDays(31));
                break;
        }

        var response = await app.GetAsync("/news", "alice");

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString().Should().Be(reason);
    }

    [Fact]
    public async Task ParentWithdrawn_DeniesTheChild_AndSaysWhichPurposeDecided()
    {
        await using var app = await TestApp.StartAsync(MapSamples);
        await app.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining);
        await app.GrantAsync("alice", ConsentPurposes.AiTraining);
        await app.WithdrawAsync("alice", ConsentPurposes.AiTraining);

        var response = await app.GetAsync("/genai", "alice");

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("reason").GetString().Should().Be("withdrawn");
        problem.GetProperty("decidedBy").GetString().Should().Be(ConsentPurposes.AiTraining);
    }

    [Fact]
    public async Task OutdatedNotice_AndFailingStore_AreDenied_NeverA500()
    {
        // (An endpoint naming an unregistered purpose no longer starts at all: EndpointValidationTests.)
        var store = new FailingReadsStore();
        await using var app = await TestApp.StartAsync(a => a.MapGet("/genai", () => "ok").RequireConsent(ConsentPurposes.GenerativeAiTraining), store: store);
        await store.AppendAsync(new NewConsentRecord("bob", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "0", DateTimeOffset.UnixEpoch, null, ConsentMethod.SubjectUserInterface));

        var outdated = await app.GetAsync("/genai", "bob");
        store.FailReads = true;
        var failing = await app.GetAsync("/genai", "carol");

        (await Reason(outdated)).Should().Be("notice-outdated");
        failing.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "a store fault is not the person's no: the client may retry");
        failing.Headers.RetryAfter.Should().NotBeNull();
        (await Reason(failing)).Should().Be("store-unavailable");
    }

    [Fact]
    public async Task Anonymous_Is401()
    {
        await using var app = await TestApp.StartAsync(MapSamples);

        var response = await app.GetAsync("/genai");

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32().Should().Be(401);
    }

    [Fact]
    public async Task RouteGroup_RequiresConsentForEveryEndpoint_ExceptOneMarkedAllowWithoutConsent()
    {
        await using var app = await TestApp.StartAsync(MapSamples);

        (await app.GetAsync("/personal/feed", "alice")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await app.GetAsync("/personal/about", "alice")).StatusCode.Should().Be(HttpStatusCode.OK);
        await app.GrantAsync("alice", ConsentPurposes.Personalization);
        (await app.GetAsync("/personal/feed", "alice")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task MvcController_AttributeIsEnforced_OnClassAndAction()
    {
        await using var app = await TestApp.StartAsync();

        (await app.GetAsync("/mvc/reports", "alice")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await app.GetAsync("/mvc/reports/public", "alice")).StatusCode.Should().Be(HttpStatusCode.OK);
        await app.GrantAsync("alice", ConsentPurposes.Analytics);
        (await app.GetAsync("/mvc/reports", "alice")).StatusCode.Should().Be(HttpStatusCode.OK);
        var personalized = await app.GetAsync("/mvc/reports/personalized", "alice");
        personalized.StatusCode.Should().Be(HttpStatusCode.Forbidden, "the action adds a second purpose");
        (await Reason(personalized)).Should().Be("no-record");
    }

    [Fact]
    public async Task RazorPage_AttributeIsEnforced()
    {
        await using var app = await TestApp.StartAsync();

        (await app.GetAsync("/Protected", "alice")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        await app.GrantAsync("alice", ConsentPurposes.Analytics);
        var allowed = await app.GetAsync("/Protected", "alice");
        allowed.StatusCode.Should().Be(HttpStatusCode.OK);
        (await allowed.Content.ReadAsStringAsync()).Should().Contain("protected page");
    }

    [Fact]
    public async Task RouteSubject_UsesThatPersonsConsent_AndTellsOthersOnlyThatItIsNotPermitted()
    {
        await using var app = await TestApp.StartAsync(MapSamples);
        await app.GrantAsync("bob");
        await app.RefuseAsync("carol");

        var bob = await app.GetAsync("/partner/users/bob/posts", "partner-1");
        var carol = await app.GetAsync("/partner/users/carol/posts", "partner-1");
        var anonymousPartner = await app.GetAsync("/partner/users/bob/posts");

        bob.StatusCode.Should().Be(HttpStatusCode.OK);
        anonymousPartner.StatusCode.Should().Be(HttpStatusCode.OK, "the consent that matters is bob's, not the caller's");
        carol.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var problem = await carol.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("title").GetString().Should().Be("Not permitted");
        problem.TryGetProperty("reason", out _).Should().BeFalse("a caller asking about someone else learns only that it is not permitted");
        problem.TryGetProperty("consentUrl", out _).Should().BeFalse();
    }

    [Fact]
    public async Task MissingMiddleware_FailsLoudly_NeverRunsTheEndpoint()
    {
        var ran = false;
        await using var app = await TestApp.StartAsync(a => a.MapGet("/genai", () => { ran = true; return "ok"; }).RequireConsent(ConsentPurposes.GenerativeAiTraining), useConsentEnforcement: false);

        var act = async () =>
        {
            var response = await app.GetAsync("/genai", "alice");
            response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        };

        (await act.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("UseConsentEnforcement");
        ran.Should().BeFalse();
    }

    [Fact]
    public async Task MissingMiddleware_FailsLoudly_ForMvcToo()
    {
        await using var app = await TestApp.StartAsync(useConsentEnforcement: false);

        var act = async () => await app.GetAsync("/mvc/reports", "alice");

        await act.Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public async Task EndpointCode_CanAskAgain_WithoutAnotherStoreCall()
    {
        var store = new FailingReadsStore();
        await using var app = await TestApp.StartAsync(MapSamples, store: store, kitOptions: o => o.CacheMaxStaleness = TimeSpan.Zero);
        await app.GrantAsync("alice");
        store.CurrentReads = 0;

        var response = await app.GetAsync("/twice", "alice");

        (await response.Content.ReadAsStringAsync()).Should().Be("still allowed");
        store.CurrentReads.Should().Be(1, "the middleware's decision is reused from HttpContext.Features");
    }

    private static async Task<string?> Reason(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString();
}

/// <summary>An in-memory store whose reads can be made to fail, and which counts current-state reads.</summary>
internal sealed class FailingReadsStore() : ConsentKit.Testing.DelegatingConsentStore(new InMemoryConsentStore())
{
    public bool FailReads { get; set; }

    public int CurrentReads { get; set; }

    public override ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        CurrentReads++;
        return FailReads ? throw new ConsentStoreException("disk gone") : Inner.GetCurrentAsync(subjectId, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<ConsentRecord>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default) =>
        FailReads ? throw new ConsentStoreException("disk gone") : Inner.GetHistoryAsync(subjectId, cancellationToken);
}
