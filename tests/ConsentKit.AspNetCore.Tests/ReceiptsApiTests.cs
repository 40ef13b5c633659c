using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using ConsentKit.Receipts;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.AspNetCore.Tests;

public sealed class ReceiptsApiTests
{
    private static Task<TestApp> StartWithReceipts() => TestApp.StartAsync(kit: k => k.AddReceipts(o =>
    {
        o.ControllerName = "Example Network Ltd";
        o.ControllerContact = "privacy@example.com";
        o.WithdrawalMethod = "/settings/privacy";
        o.SigningKey = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "test" };
    }));

    [Fact]
    public async Task AReceiptForTheCallersOwnRecord_IsSigned_AndVerifies()
    {
        await using var app = await StartWithReceipts();
        var grant = await app.GrantAsync("alice");

        var response = await app.GetAsync($"/api/consents/receipts/{grant.Sequence}", "alice");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var token = body.RootElement.GetProperty("token").GetString()!;
        body.RootElement.GetProperty("receipt").GetProperty("record_id").GetInt64().Should().Be(grant.Sequence);
        (await app.App.Services.GetRequiredService<IConsentReceipts>().VerifyAsync(token, TestContext.Current.CancellationToken)).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task SomeoneElsesRecord_Is404()
    {
        await using var app = await StartWithReceipts();
        var grant = await app.GrantAsync("alice");

        var response = await app.GetAsync($"/api/consents/receipts/{grant.Sequence}", "mallory");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    public async Task ASequenceThatIsNotOne_Is400_NamingTheField(string sequence)
    {
        await using var app = await StartWithReceipts();

        var response = await app.GetAsync($"/api/consents/receipts/{sequence}", "alice");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        problem.RootElement.GetProperty("field").GetString().Should().Be("sequence");
    }

    [Fact]
    public async Task Anonymous_Is401()
    {
        await using var app = await StartWithReceipts();

        (await app.GetAsync("/api/consents/receipts/1")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await app.GetAsync("/api/consents/export")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task WithoutAddReceipts_TheEndpointsSaySo_With404()
    {
        await using var app = await TestApp.StartAsync();

        var response = await app.GetAsync("/api/consents/export", "alice");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Contain("Receipts are not enabled");
    }

    [Fact]
    public async Task TheExport_IsTheCallersOwnDocument_AsAnAttachment()
    {
        await using var app = await StartWithReceipts();
        await app.GrantAsync("alice");
        await app.WithdrawAsync("alice");
        await app.GrantAsync("bob");

        var response = await app.GetAsync("/api/consents/export", "alice");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentDisposition!.DispositionType.Should().Be("attachment");
        using var export = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        export.RootElement.GetProperty("subject_id").GetString().Should().Be("alice");
        export.RootElement.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("status").GetString()).Should().Equal("granted", "withdrawn");
        export.RootElement.GetProperty("records").EnumerateArray().Should().OnlyContain(r => r.GetProperty("receipt").GetString()!.Split('.', StringSplitOptions.None).Length == 3);
    }
}
