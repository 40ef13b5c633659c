using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ConsentKit.Tests;

public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("ai-training", true)]
    [InlineData("ai-training.generative", true)]
    [InlineData("a.b.c", true)]
    [InlineData("web3", true)]
    [InlineData("third-party-sharing", true)]
    [InlineData("", false)]
    [InlineData("AI-training", false)]
    [InlineData("ai_training", false)]
    [InlineData("ai training", false)]
    [InlineData("-ai", false)]
    [InlineData("ai-", false)]
    [InlineData("ai--training", false)]
    [InlineData(".ai", false)]
    [InlineData("ai.", false)]
    [InlineData("ai..training", false)]
    [InlineData("ai.-training", false)]
    [InlineData("ïa", false)]
    public void PurposeId_Rules(string id, bool valid) => ConsentPurposeId.IsValid(id).Should().Be(valid);

    [Theory]
    [InlineData("ai-training", "ai-training", true)]
    [InlineData("ai-training.generative", "ai-training", true)]
    [InlineData("ai-training.generative.images", "ai-training", true)]
    [InlineData("ai-trainingx", "ai-training", false)]
    [InlineData("ai-training", "ai-training.generative", false)]
    [InlineData("analytics", "ai-training", false)]
    public void PurposeId_SelfOrDescendant(string purpose, string ancestor, bool expected) =>
        ConsentPurposeId.IsSelfOrDescendant(purpose, ancestor).Should().Be(expected);

    [Fact]
    public void PurposeId_LongerThan128_IsInvalid()
    {
        ConsentPurposeId.IsValid(new string('a', 128)).Should().BeTrue();
        ConsentPurposeId.IsValid(new string('a', 129)).Should().BeFalse();
    }

    [Fact]
    public async Task BadPurposes_StopTheAppAtStart_ListingEveryProblem()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit()
            .UseInMemoryStore()
            .AddPurpose("Bad_Id", "Bad", "Bad id.", "1")
            .AddPurpose("analytics", "Analytics", "Measure use.", "1")
            .AddPurpose("analytics", "Analytics again", "Measure use.", "1")
            .AddPurpose("orphan.child", "Orphan", "No parent.", "1")
            .AddPurpose("empty-notice", "Empty", "No version.", " ");
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        var error = (await act.Should().ThrowAsync<OptionsValidationException>()).Which;
        error.Failures.Should().HaveCount(4);
        error.Message.Should().Contain("'Bad_Id' is invalid")
            .And.Contain("'analytics' is registered more than once")
            .And.Contain("parent 'orphan' to be registered")
            .And.Contain("'empty-notice' has an empty notice version");
    }

    [Fact]
    public async Task NoStore_StopsTheAppAtStart()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit().AddStandardPurposes();
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("No consent store is configured");
    }

    [Fact]
    public async Task ValidConfiguration_Starts()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit().AddStandardPurposes().UseInMemoryStore();
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void BadOptions_AreAllReported()
    {
        using var kit = new ConsentKitFixture(options: o =>
        {
            o.CacheSizeLimit = 0;
            o.CacheMaxStaleness = TimeSpan.FromSeconds(-1);
            o.StoreTimeout = TimeSpan.Zero;
        });

        var act = () => kit.Gate;

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().HaveCount(3);
    }

    [Fact]
    public async Task AddConsentKit_Twice_IsHarmless()
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseInMemoryStore();
        services.AddConsentKit(o => o.CacheSizeLimit = 500);
        using var provider = services.BuildServiceProvider();

        provider.GetServices<IConsentGate>().Should().ContainSingle();
        provider.GetServices<IConsentRecorder>().Should().ContainSingle();
        provider.GetRequiredService<IOptions<ConsentKitOptions>>().Value.CacheSizeLimit.Should().Be(500);
        (await provider.GetRequiredService<IConsentGate>().CheckAsync("alice", ConsentPurposes.AiTraining, TestContext.Current.CancellationToken))
            .Reason.Should().Be(ConsentDecisionReason.NoRecord);
    }

    [Fact]
    public void LaterStore_ReplacesEarlierStore()
    {
        var custom = new InMemoryConsentStore();
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseInMemoryStore().UseStore(_ => custom);
        using var provider = services.BuildServiceProvider();

        provider.GetServices<IConsentStore>().Should().ContainSingle().Which.Should().BeSameAs(custom);
    }
}
