using System.Net;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ConsentKit.AspNetCore.Tests;

public sealed class DeniedHandlerTests
{
    private static void MapTwoRequirements(WebApplication app) =>
        app.MapGet("/partner/users/{userId}/posts", (string userId) => $"posts of {userId}")
            .RequireConsent(ConsentPurposes.GenerativeAiTraining, ConsentSubject.FromRoute("userId"))
            .RequireConsent(ConsentPurposes.ThirdPartySharing, ConsentSubject.FromRoute("userId"));

    private static Task<TestApp> StartWith(IConsentDeniedHandler handler) =>
        TestApp.StartAsync(MapTwoRequirements, kit: k => k.Services.Replace(ServiceDescriptor.Singleton(handler)));

    [Fact]
    public async Task AReportOnlyHandler_ThatCallsNext_LetsTheRequestThrough()
    {
        var handler = new ReportOnlyHandler();
        await using var app = await StartWith(handler);

        var response = await app.GetAsync("/partner/users/ada/posts", "partner");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be("posts of ada");
    }

    [Fact]
    public async Task Next_ChecksTheRemainingRequirements_BeforeTheEndpoint()
    {
        var handler = new ReportOnlyHandler();
        await using var app = await StartWith(handler);
        await app.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining);

        await app.GetAsync("/partner/users/bob/posts", "partner");
        await app.GetAsync("/partner/users/ada/posts", "partner");

        handler.Denials.Select(d => (d.PurposeId, d.Decision.Reason, d.SubjectIsCaller)).Should().Equal(
            (ConsentPurposes.GenerativeAiTraining, ConsentDecisionReason.NoRecord, false),
            (ConsentPurposes.ThirdPartySharing, ConsentDecisionReason.NoRecord, false),
            (ConsentPurposes.ThirdPartySharing, ConsentDecisionReason.NoRecord, false));
    }

    [Fact]
    public async Task AHandlerThatDoesNotCallNext_EndsTheRequest_WithItsOwnResponse()
    {
        await using var app = await StartWith(new UnavailableForLegalReasonsHandler());

        var response = await app.GetAsync("/partner/users/ada/posts", "partner");

        response.StatusCode.Should().Be((HttpStatusCode)StatusCodes.Status451UnavailableForLegalReasons);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Be("denied: ai-training.generative");
    }

    private sealed class ReportOnlyHandler : IConsentDeniedHandler
    {
        public List<ConsentDenial> Denials { get; } = [];

        public Task HandleAsync(RequestDelegate next, HttpContext context, ConsentDenial denial)
        {
            lock (Denials)
            {
                Denials.Add(denial);
            }

            return next(context);
        }
    }

    private sealed class UnavailableForLegalReasonsHandler : IConsentDeniedHandler
    {
        public Task HandleAsync(RequestDelegate next, HttpContext context, ConsentDenial denial)
        {
            context.Response.StatusCode = StatusCodes.Status451UnavailableForLegalReasons;
            return context.Response.WriteAsync("denied: " + denial.PurposeId);
        }
    }
}
