using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

public sealed class ObserverTests
{
    [Fact]
    public async Task Observers_AreToldAfterTheWrite_AndTheGateAlreadySeesIt()
    {
        var seen = new SeenRecords();
        using var kit = new ConsentKitFixture(
            b => b.AddChangeObserver<RecordingObserver>(),
            services: s => s.AddSingleton(seen));
        await kit.GrantAsync("alice");
        (await kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();

        var withdrawal = await kit.WithdrawAsync("alice");

        seen.Records.Should().HaveCount(2);
        seen.Records[^1].Should().BeSameAs(withdrawal);
        seen.DecisionsAtNotification[^1].Reason.Should().Be(ConsentDecisionReason.Withdrawn);
    }

    [Fact]
    public async Task FailingObserver_DoesNotFailTheWrite_OrStopOtherObservers()
    {
        var seen = new SeenRecords();
        using var kit = new ConsentKitFixture(
            b => b.AddChangeObserver<ThrowingObserver>().AddChangeObserver<RecordingObserver>(),
            services: s => s.AddSingleton(seen));

        var grant = await kit.GrantAsync("alice");

        seen.Records.Should().ContainSingle().Which.Should().BeSameAs(grant);
        (await kit.Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken)).Should().ContainSingle();
    }

    [Fact]
    public async Task RejectedWrite_TellsNoObserver()
    {
        var seen = new SeenRecords();
        using var kit = new ConsentKitFixture(b => b.AddChangeObserver<RecordingObserver>(), services: s => s.AddSingleton(seen));

        var act = async () => await kit.GrantAsync("alice", notice: "0");

        await act.Should().ThrowAsync<ConsentNoticeOutdatedException>();
        seen.Records.Should().BeEmpty();
    }

    [Fact]
    public void AddChangeObserver_Twice_RegistersItOnce()
    {
        using var kit = new ConsentKitFixture(
            b => b.AddChangeObserver<RecordingObserver>().AddChangeObserver<RecordingObserver>(),
            services: s => s.AddSingleton(new SeenRecords()));

        kit.Provider.GetServices<IConsentChangeObserver>().OfType<RecordingObserver>().Should().ContainSingle();
    }

    internal sealed class SeenRecords
    {
        public List<ConsentRecord> Records { get; } = [];

        public List<ConsentDecision> DecisionsAtNotification { get; } = [];
    }

    internal sealed class RecordingObserver(SeenRecords seen, IConsentGate gate) : IConsentChangeObserver
    {
        public async ValueTask OnRecordedAsync(ConsentRecord record, CancellationToken cancellationToken)
        {
            seen.Records.Add(record);
            seen.DecisionsAtNotification.Add(await gate.CheckAsync(record.SubjectId, record.PurposeId, cancellationToken));
        }
    }

    internal sealed class ThrowingObserver : IConsentChangeObserver
    {
        public ValueTask OnRecordedAsync(ConsentRecord record, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("observer bug");
    }
}
