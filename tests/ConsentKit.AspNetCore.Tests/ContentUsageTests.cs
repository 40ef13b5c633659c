using FluentAssertions;
using Microsoft.AspNetCore.Builder;

namespace ConsentKit.AspNetCore.Tests;

public sealed class ContentUsageTests
{
    private static void MapProfile(WebApplication app) =>
        app.MapGet("/users/{id}", (string id) => $"profile of {id}").WithContentUsageHeader("id");

    [Theory]
    [InlineData("granted", "train-ai=y")]
    [InlineData("withdrawn", "train-ai=n")]
    [InlineData("expired", "train-ai=n")]
    [InlineData("never-set", "train-ai=n")]
    [InlineData("refused", "train-ai=n")]
    public async Task ProfileResponses_CarryThePersonsChoice(string situation, string expected)
    {
        await using var app = await TestApp.StartAsync(MapProfile, kit: b => b.Services.PostConfigure<ConsentKitOptions>(o =>
        {
            // Give generative-AI training a lifetime so a grant can expire.
            var i = o.Purposes.ToList().FindIndex(p => p.Id == ConsentPurposes.GenerativeAiTraining);
            var old = o.Purposes[i];
            o.Purposes[i] = new ConsentPurpose(old.Id, old.DisplayName, old.Description, old.NoticeVersion) { Lifetime = TimeSpan.FromDays(365) };
        }));
        switch (situation)
        {
            case "granted":
                await app.GrantAsync("bob");
                break;
            case "withdrawn":
                await app.GrantAsync("bob");
                await app.WithdrawAsync("bob");
                break;
            case "expired":
                await app.GrantAsync("bob");
                app.Time.Advance(TimeSpan.FromDays(366));
                break;
            case "refused":
                await app.RefuseAsync("bob");
                break;
        }

        var response = await app.GetAsync("/users/bob", "visitor");

        response.Headers.GetValues("Content-Usage").Should().Equal(expected);
    }

    [Fact]
    public async Task StoreFailure_SaysNo()
    {
        var store = new FailingReadsStore();
        await using var app = await TestApp.StartAsync(MapProfile, store: store);
        await app.GrantAsync("bob");
        store.FailReads = true;

        var response = await app.GetAsync("/users/bob");

        response.Headers.GetValues("Content-Usage").Should().Equal("train-ai=n");
    }
}
