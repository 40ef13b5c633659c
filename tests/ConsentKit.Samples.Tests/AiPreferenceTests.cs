using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Samples.Tests;

/// <summary>
/// Every page that serves members' content says whether it may be used for AI training, from consent:
/// the feed's Content-Usage header and robots.txt both follow a member's choice.
/// </summary>
public sealed class AiPreferenceTests : IDisposable
{
    private readonly WebAppFactory _factory = new();

    [Fact]
    public async Task RobotsTxt_SaysNoByDefault_AndYesOnlyForTheProfilesOfMembersWhoOptedIn_FollowingAChange()
    {
        var client = _factory.CreateClient();
        var before = await client.GetStringAsync("/robots.txt", TestContext.Current.CancellationToken);
        before.Should().StartWith("User-Agent: *\nContent-Usage: train-ai=n\n");
        before.Should().Contain("Content-Usage: /users/grace$ train-ai=y").And.NotContain("/users/ada$");

        await Recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
        (await client.GetStringAsync("/robots.txt", TestContext.Current.CancellationToken)).Should().Contain("Content-Usage: /users/ada$ train-ai=y");

        await Recorder.WithdrawAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
        var after = await client.GetAsync("/robots.txt", TestContext.Current.CancellationToken);
        (await after.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().NotContain("/users/ada$");
        after.Headers.CacheControl!.NoCache.Should().BeTrue();
    }

    [Fact]
    public async Task TheFeed_IsTrainAiNoUnlessEveryAuthorShownOptedIn_FollowingAChange()
    {
        var client = _factory.CreateClient();
        (await client.GetAsync("/", TestContext.Current.CancellationToken)).Headers.GetValues("Content-Usage").Should().Equal("train-ai=n");

        foreach (var member in ConsentKit.Samples.WebApp.Demo.DemoPeople.Members)
        {
            // Linus refused ai-training as a whole (demo seed): he turns both on, parent first.
            await Recorder.GrantAsync(member.Id, ConsentPurposes.AiTraining, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
            await Recorder.GrantAsync(member.Id, ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
        }

        (await client.GetAsync("/", TestContext.Current.CancellationToken)).Headers.GetValues("Content-Usage").Should().Equal("train-ai=y");

        await Recorder.WithdrawAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
        (await client.GetAsync("/", TestContext.Current.CancellationToken)).Headers.GetValues("Content-Usage").Should().Equal("train-ai=n");
    }

    public void Dispose() => _factory.Dispose();

    private IConsentRecorder Recorder => _factory.Services.GetRequiredService<IConsentRecorder>();

}
