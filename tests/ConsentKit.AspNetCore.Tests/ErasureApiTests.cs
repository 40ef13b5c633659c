using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;

namespace ConsentKit.AspNetCore.Tests;

public sealed class ErasureApiTests
{
    private const string Api = "/api/consents";

    [Fact]
    public async Task AskThenConfirm_WithdrawsWhatWasOn_AndNothingLeadsBackToThePerson()
    {
        await using var app = await TestApp.StartAsync();
        await app.GrantAsync("alice");
        await app.GrantAsync("bob");

        var ask = await app.PostJsonAsync($"{Api}/erasure", new { }, "alice");
        ask.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var challenge = await ask.Content.ReadFromJsonAsync<JsonElement>();
        challenge.GetProperty("consequences").GetString().Should().Contain("cannot be undone");
        (await app.HistoryAsync("alice")).Should().ContainSingle("asking erases nothing");

        var confirm = await app.PostJsonAsync($"{Api}/erasure/confirm", new { confirmationToken = challenge.GetProperty("confirmationToken").GetString() }, "alice");

        confirm.StatusCode.Should().Be(HttpStatusCode.OK);
        var result = await confirm.Content.ReadFromJsonAsync<JsonElement>();
        result.GetProperty("erased").GetBoolean().Should().BeTrue();
        result.GetProperty("withdrawals").EnumerateArray().Select(w => w.GetProperty("status").GetString()).Should().Equal("withdrawn");
        (await app.HistoryAsync("alice")).Should().BeEmpty();
        (await (await app.GetAsync($"{Api}/history", "alice")).Content.ReadFromJsonAsync<JsonElement[]>()).Should().BeEmpty();
        (await State(app, "alice")).Should().Be("no-record");
        (await State(app, "bob")).Should().Be("granted");
        var verified = await new ConsentHistoryVerifier(app.Store).VerifyAsync();
        verified.IsValid.Should().BeTrue(verified.ToString());
        verified.RecordsChecked.Should().Be(3, "alice's grant and withdrawal and bob's grant all stay");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-token")]
    public async Task AMissingOrBadToken_Is400NamingTheField_AndErasesNothing(string? token)
    {
        await using var app = await TestApp.StartAsync();
        await app.GrantAsync("alice");

        var response = await app.PostJsonAsync($"{Api}/erasure/confirm", new { confirmationToken = token }, "alice");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString().Should().Be("confirmationToken");
        (await app.HistoryAsync("alice")).Should().ContainSingle();
        (await State(app, "alice")).Should().Be("granted");
    }

    [Fact]
    public async Task AnotherPersonsToken_OrAnExpiredOne_ErasesNothing()
    {
        await using var app = await TestApp.StartAsync();
        await app.GrantAsync("alice");
        await app.GrantAsync("bob");
        var bobs = await (await app.PostJsonAsync($"{Api}/erasure", new { }, "bob")).Content.ReadFromJsonAsync<JsonElement>();
        var alices = await (await app.PostJsonAsync($"{Api}/erasure", new { }, "alice")).Content.ReadFromJsonAsync<JsonElement>();

        var stolen = await app.PostJsonAsync($"{Api}/erasure/confirm", new { confirmationToken = bobs.GetProperty("confirmationToken").GetString() }, "alice");
        app.Time.Advance(TimeSpan.FromMinutes(11));
        var late = await app.PostJsonAsync($"{Api}/erasure/confirm", new { confirmationToken = alices.GetProperty("confirmationToken").GetString() }, "alice");

        stolen.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        late.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await State(app, "alice")).Should().Be("granted");
        (await State(app, "bob")).Should().Be("granted");
    }

    [Fact]
    public async Task Anonymous_Is401()
    {
        await using var app = await TestApp.StartAsync();

        (await app.PostJsonAsync($"{Api}/erasure", new { }, null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await app.PostJsonAsync($"{Api}/erasure/confirm", new { confirmationToken = "x" }, null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    private static async Task<string?> State(TestApp app, string user)
    {
        var purposes = await (await app.GetAsync(Api, user)).Content.ReadFromJsonAsync<JsonElement[]>();
        return purposes!.Single(p => p.GetProperty("purposeId").GetString() == ConsentPurposes.GenerativeAiTraining).GetProperty("state").GetString();
    }
}
