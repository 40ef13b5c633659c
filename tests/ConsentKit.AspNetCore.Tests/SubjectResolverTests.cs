using System.Net;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ConsentKit.AspNetCore.Tests;

/// <summary>One way to find the caller: replacing IConsentSubjectResolver changes the API, the enforcement and the signal handling alike.</summary>
public sealed class SubjectResolverTests
{
    [Fact]
    public async Task AReplacedResolver_DecidesWhoTheCallerIs_Everywhere()
    {
        await using var app = await TestApp.StartAsync(
            a => a.MapGet("/mine", () => "ok").RequireConsent(ConsentPurposes.Analytics),
            kit: k => k.Services.Replace(ServiceDescriptor.Singleton<IConsentSubjectResolver, MemberHeaderResolver>()));

        // Signed in as "alice" (the test's auth header), but the app says the member is "m-42".
        var grant = app.Request(HttpMethod.Post, $"/api/consents/{ConsentPurposes.Analytics}/grant", "alice", System.Net.Http.Json.JsonContent.Create(new { noticeVersion = "1" }));
        grant.Headers.Add("X-Member-Id", "m-42");
        (await app.Client.SendAsync(grant, TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK);

        var mine = app.Request(HttpMethod.Get, "/mine", "alice");
        mine.Headers.Add("X-Member-Id", "m-42");
        mine.Headers.Add("Sec-GPC", "1");
        (await app.Client.SendAsync(mine, TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK);

        (await app.HistoryAsync("alice")).Should().BeEmpty();
        var member = await app.HistoryAsync("m-42");
        member.Should().Contain(r => r.PurposeId == ConsentPurposes.Analytics && r.Status == ConsentStatus.Granted);
        member.Should().Contain(r => r.PurposeId == ConsentPurposes.AiTraining && r.Method == ConsentMethod.PrivacySignal, "the signal was recorded for the resolved member");
    }

    private sealed class MemberHeaderResolver : IConsentSubjectResolver
    {
        public ValueTask<string?> ResolveAsync(HttpContext context, ConsentSubject subject) =>
            ValueTask.FromResult(subject.IsCaller
                ? context.Request.Headers["X-Member-Id"].FirstOrDefault()
                : context.GetRouteValue(subject.RouteParameterName!)?.ToString());
    }
}
