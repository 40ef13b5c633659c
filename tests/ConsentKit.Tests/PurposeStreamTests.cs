using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

/// <summary>
/// <see cref="IConsentPurposeReader.StreamAllowedAsync"/>: the same decisions as <see cref="IConsentPurposeReader.ReadAllowedAsync"/>,
/// from the same service, handed out one subject at a time; failures refuse instead of streaming nothing.
/// </summary>
public sealed class PurposeStreamTests
{
    private const string Training = ConsentPurposes.GenerativeAiTraining;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheStream_DecidesAsTheListDoes_AndKnowsItsHorizonOnceRead()
    {
        using var kit = new ConsentKitFixture(b => b.AddPurpose("ai-training.generative.chat", "Chat", "Chat models.", "1", lifetime: TimeSpan.FromDays(30)));
        await kit.GrantAsync("alice");
        await kit.RefuseAsync("bob");
        await kit.GrantAsync("carol");
        await kit.WithdrawAsync("carol");
        await kit.GrantAsync("dan");
        await kit.RefuseAsync("dan", ConsentPurposes.AiTraining);
        await kit.GrantAsync("erin");
        await kit.GrantAsync("erin", "ai-training.generative.chat");
        var reader = kit.Provider.GetRequiredService<IConsentPurposeReader>();

        foreach (var purpose in new[] { Training, "ai-training.generative.chat" })
        {
            var list = await reader.ReadAllowedAsync(purpose, Ct);
            await using var stream = await reader.StreamAllowedAsync(purpose, Ct);
            stream.Invoking(s => s.HoldsUntil).Should().Throw<InvalidOperationException>("the horizon is known once every subject was read");
            var streamed = new List<ConsentAllowedSubject>();
            await foreach (var subject in stream.Subjects.WithCancellation(Ct))
            {
                streamed.Add(subject);
            }

            streamed.Should().BeEquivalentTo(list.Subjects, "purpose {0}", purpose);
            stream.Watermark.Should().Be(list.Watermark);
            stream.HoldsUntil.Should().Be(list.HoldsUntil);
        }

        (await reader.ReadAllowedAsync("ai-training.generative.chat", Ct)).HoldsUntil.Should().Be(ConsentKitFixture.Start.AddDays(30), "the chat grant's lifetime bounds the set");
    }

    [Fact]
    public async Task AnUnknownPurpose_AndAFailingStore_AreRefused()
    {
        var store = new FaultyStore { FailScans = true };
        using var kit = new ConsentKitFixture(store: store);
        var reader = kit.Provider.GetRequiredService<IConsentPurposeReader>();

        await reader.Awaiting(r => r.StreamAllowedAsync("ai-training.unknown", Ct)).Should().ThrowAsync<ArgumentException>().WithParameterName("purposeId");
        await reader.Awaiting(r => r.StreamAllowedAsync(Training, Ct)).Should().ThrowAsync<ConsentStoreException>();
    }
}
