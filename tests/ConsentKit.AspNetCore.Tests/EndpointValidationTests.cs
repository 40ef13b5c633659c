using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ConsentKit.AspNetCore.Tests;

public sealed class EndpointValidationTests
{
    [Fact]
    public async Task AnEndpointRequiringAnUnregisteredPurpose_StopsTheAppAtStart_NamingTheEndpointAndThePurpose()
    {
        var act = async () => await TestApp.StartAsync(app =>
        {
            app.MapGet("/reports", () => "ok").RequireConsent("analytcs").WithDisplayName("GET /reports");
            app.MapGet("/profile/{id}", (string id) => id).WithContentUsageHeader("id", purposeId: "ai-trainig").WithDisplayName("GET /profile/{id}");
        });

        var thrown = (await act.Should().ThrowAsync<InvalidOperationException>()).Which;
        thrown.Message.Should().Contain("'GET /reports'").And.Contain("'analytcs'").And.Contain("'GET /profile/{id}'").And.Contain("'ai-trainig'");
    }

    [Fact]
    public async Task EndpointsWithRegisteredPurposes_Start()
    {
        await using var app = await TestApp.StartAsync(a => a.MapGet("/reports", () => "ok").RequireConsent(ConsentPurposes.Analytics));

        (await app.GetAsync("/reports", "alice")).StatusCode.Should().Be(System.Net.HttpStatusCode.Forbidden);
    }
}

public sealed class EnforcementOptionsValidationTests
{
    [Fact]
    public async Task BadEnforcementOptions_StopTheAppAtStart_ListingEveryProblem()
    {
        var act = async () => await TestApp.StartAsync(kit: k => k.AddAspNetCore(o =>
        {
            o.SubjectClaimTypes.Clear();
            o.ConsentUrl = "//evil.example/settings";
            o.GlobalPrivacyControlPurposes.Add("AI Training");
            o.MaxRequestBodyBytes = 0;
        }));

        var failures = (await act.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>()).Which.Failures;
        failures.Should().HaveCount(4);
        failures.Should().Contain(f => f.Contains("SubjectClaimTypes", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("ConsentUrl", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("'AI Training'", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("MaxRequestBodyBytes", StringComparison.Ordinal));
    }
}
