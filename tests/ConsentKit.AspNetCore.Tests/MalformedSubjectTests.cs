using System.Net;
using System.Security.Cryptography;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.AspNetCore.Tests;

/// <summary>A caller whose subject id the library cannot take (too long): every read answers a 4xx problem, never a 500.</summary>
public sealed class MalformedSubjectTests
{
    [Theory]
    [InlineData("/api/consents")]
    [InlineData("/api/consents/history")]
    [InlineData("/api/consents/export")]
    [InlineData("/api/consents/receipts/1")]
    public async Task AnOverlongSubjectId_IsA400Problem_NamingTheSubject(string url)
    {
        await using var app = await TestApp.StartAsync(kit: k => k.AddReceipts(o =>
        {
            o.ControllerName = "Example Network Ltd";
            o.ControllerContact = "privacy@example.com";
            o.WithdrawalMethod = "/settings/privacy";
            o.SigningKey = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "test" };
        }));

        var response = await app.GetAsync(url, new string('x', ConsentRecordRules.MaxSubjectIdLength + 1));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Contain("subjectId");
    }
}
