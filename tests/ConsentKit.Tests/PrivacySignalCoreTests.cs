using ConsentKit.Testing;
using FluentAssertions;

namespace ConsentKit.Tests;

/// <summary>Privacy signals in the core: refusals only where there is no choice, cheap when settled, never over a choice.</summary>
public sealed class PrivacySignalCoreTests
{
    private static readonly string[] Gpc = [ConsentPurposes.AiTraining, ConsentPurposes.ThirdPartySharing];

    [Fact]
    public async Task ASignal_RefusesTheCoveredPurposesWithoutAChoice_AsAPrivacySignal()
    {
        using var kit = new ConsentKitFixture();
        await kit.RefuseAsync("alice", ConsentPurposes.ThirdPartySharing);

        var recorded = await kit.Recorder.RecordPrivacySignalAsync("alice", Gpc, "sec-gpc", TestContext.Current.CancellationToken);

        recorded.Select(r => r.PurposeId).Should().BeEquivalentTo([ConsentPurposes.AiTraining, ConsentPurposes.GenerativeAiTraining]);
        recorded.Should().OnlyContain(r => r.Status == ConsentStatus.Refused && r.Method == ConsentMethod.PrivacySignal && r.Source == "sec-gpc");
        (await kit.Store.GetCurrentAsync("alice", TestContext.Current.CancellationToken)).Single(r => r.PurposeId == ConsentPurposes.ThirdPartySharing)
            .Method.Should().Be(ConsentMethod.SubjectUserInterface, "the person's own refusal stays");
    }

    [Fact]
    public async Task ASettledSubjectSendingTheSignal1000Times_CostsNoStoreRead()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: store);
        await kit.Recorder.RecordPrivacySignalAsync("alice", Gpc, "sec-gpc", TestContext.Current.CancellationToken);
        await kit.CheckAsync("alice");
        var reads = store.CurrentReads;
        var appends = store.Appends;

        for (var i = 0; i < 1_000; i++)
        {
            (await kit.Recorder.RecordPrivacySignalAsync("alice", Gpc, "sec-gpc", TestContext.Current.CancellationToken)).Should().BeEmpty();
        }

        store.CurrentReads.Should().Be(reads);
        store.Appends.Should().Be(appends);
    }

    [Fact]
    public async Task ASubjectWhoGrantedTheChildButNotTheParent_IsNeverRefusedTheParent_AndCostsNoStoreRead()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining);
        await kit.RefuseAsync("alice", ConsentPurposes.ThirdPartySharing);
        await kit.CheckAsync("alice");
        var reads = store.CurrentReads;

        for (var i = 0; i < 10; i++)
        {
            (await kit.Recorder.RecordPrivacySignalAsync("alice", Gpc, "sec-gpc", TestContext.Current.CancellationToken)).Should().BeEmpty();
        }

        store.CurrentReads.Should().Be(reads, "the gate's cached view decides");
        (await kit.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining)).IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task AGrantThatLandsBetweenTheReadAndTheRefusal_Wins_AndTheRefusalIsNotWritten()
    {
        var inner = new InMemoryConsentStore();
        var racing = new RacingStore(inner);
        using var kit = new ConsentKitFixture(store: racing);

        // Another instance grants third-party-sharing just before the conditional append runs.
        racing.BeforeConditionalAppend = record => record.PurposeId == ConsentPurposes.ThirdPartySharing
            ? inner.AppendAsync(new NewConsentRecord("alice", ConsentPurposes.ThirdPartySharing, ConsentStatus.Granted, "1", DateTimeOffset.UtcNow, null, ConsentMethod.SubjectUserInterface))
            : default;

        var recorded = await kit.Recorder.RecordPrivacySignalAsync("alice", Gpc, "sec-gpc", TestContext.Current.CancellationToken);

        recorded.Select(r => r.PurposeId).Should().NotContain(ConsentPurposes.ThirdPartySharing);
        var history = await kit.Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken);
        history.Where(r => r.PurposeId == ConsentPurposes.ThirdPartySharing).Should().ContainSingle().Which.Status.Should().Be(ConsentStatus.Granted);
        (await kit.CheckAsync("alice", ConsentPurposes.ThirdPartySharing)).IsAllowed.Should().BeTrue("the gate must not keep the pre-race view");
    }

    [Fact]
    public async Task AGrantRacingTheSignal_AlwaysSurvives_200Times()
    {
        using var kit = new ConsentKitFixture();
        for (var i = 0; i < 200; i++)
        {
            var subject = $"racer-{i}";
            using var start = new Barrier(2);
            var signal = Task.Run(async () =>
            {
                start.SignalAndWait();
                await kit.Recorder.RecordPrivacySignalAsync(subject, Gpc, "sec-gpc");
            });
            var grant = Task.Run(async () =>
            {
                start.SignalAndWait();
                await kit.GrantAsync(subject, ConsentPurposes.AiTraining);
            });
            await Task.WhenAll(signal, grant);

            (await kit.CheckAsync(subject, ConsentPurposes.AiTraining)).IsAllowed.Should().BeTrue("race {0}", i);
        }
    }

    [Fact]
    public async Task ABadSubjectOrSource_IsRefused_AndWritesNothing()
    {
        using var kit = new ConsentKitFixture();

        await kit.Recorder.Invoking(r => r.RecordPrivacySignalAsync(" ", Gpc, "sec-gpc").AsTask()).Should().ThrowAsync<ArgumentException>().WithParameterName("subjectId");
        await kit.Recorder.Invoking(r => r.RecordPrivacySignalAsync("alice", Gpc, "").AsTask()).Should().ThrowAsync<ArgumentException>().WithParameterName("source");
        (await kit.Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken)).Should().BeEmpty();
    }

    [Fact]
    public async Task UnregisteredPurposes_AreIgnored()
    {
        using var kit = new ConsentKitFixture();

        (await kit.Recorder.RecordPrivacySignalAsync("alice", ["not-registered"], "sec-gpc", TestContext.Current.CancellationToken)).Should().BeEmpty();
    }

    /// <summary>Runs a hook just before each conditional append reaches the store: "another instance" acting in the window.</summary>
    private sealed class RacingStore(InMemoryConsentStore inner) : DelegatingConsentStore(inner)
    {
        public Func<NewConsentRecord, ValueTask<ConsentRecord>>? BeforeConditionalAppend { get; set; }

        public override async ValueTask<ConsentRecord?> AppendIfCurrentAsync(NewConsentRecord record, long expectedCurrentSequence, CancellationToken cancellationToken = default)
        {
            if (BeforeConditionalAppend is { } hook)
            {
                await hook(record);
            }

            return await Inner.AppendIfCurrentAsync(record, expectedCurrentSequence, cancellationToken);
        }
    }
}
