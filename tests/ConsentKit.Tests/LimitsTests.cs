using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ConsentKit.Tests;

/// <summary>What passes start-up works at its extremes, and a choice's follow-ups survive the caller leaving.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task APurposeThatNeverExpires_TimeSpanMaxValue_CanBeGranted_AndStaysGranted()
    {
        using var kit = new ConsentKitFixture(b => b.AddPurpose("forever", "Forever", "A purpose without end.", "1", lifetime: TimeSpan.MaxValue));

        var grant = await kit.GrantAsync("alice", "forever");

        grant.ExpiresAt.Should().BeNull("a lifetime past the calendar's end means no expiry");
        kit.Time.Advance(TimeSpan.FromDays(365 * 50));
        (await kit.CheckAsync("alice", "forever")).IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task AStoreTimeoutTooLongForATimer_StopsTheAppAtStart()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit(o => o.StoreTimeout = TimeSpan.FromDays(50)).AddStandardPurposes().UseInMemoryStore();
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("StoreTimeout").And.Contain("49.7 days");
    }

    [Fact]
    public async Task AnInfiniteStoreTimeout_IsAccepted_AndChecksWork()
    {
        using var kit = new ConsentKitFixture(options: o => o.StoreTimeout = Timeout.InfiniteTimeSpan);
        await kit.GrantAsync("alice");

        (await kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();
        (await kit.Gate.CheckManyAsync(["alice"], ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken))["alice"].IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task AHungStore_EndsABulkCheckAtTheStoreTimeout_WithStoreUnavailable()
    {
        var store = new FaultyStore();
        using var kit = new ConsentKitFixture(store: store, options: o => o.StoreTimeout = TimeSpan.FromSeconds(2));
        await kit.GrantAsync("alice");
        var never = new TaskCompletionSource<IReadOnlyList<ConsentRecord>>();
        store.BulkReadHang = never.Task;

        var check = kit.Gate.CheckManyAsync(["alice", "bob"], ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken).AsTask();
        check.IsCompleted.Should().BeFalse();
        kit.Time.Advance(TimeSpan.FromSeconds(2));
        var decisions = await check.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        decisions.Values.Should().OnlyContain(d => d.Reason == ConsentDecisionReason.StoreUnavailable);
    }

    [Fact]
    public async Task Observers_GetATokenTheCallerCannotCancel()
    {
        var observer = new BlockingObserver();
        using var kit = new ConsentKitFixture(services: s => s.AddSingleton<IConsentChangeObserver>(observer));
        using var caller = new CancellationTokenSource();

        var grant = kit.Recorder.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "test"), caller.Token).AsTask();
        var token = await observer.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await caller.CancelAsync();

        token.IsCancellationRequested.Should().BeFalse("the record is acknowledged; a client that goes away must not cancel what follows from it");
        observer.Release.SetResult();
        (await grant).Status.Should().Be(ConsentStatus.Granted);
    }

    private sealed class BlockingObserver : IConsentChangeObserver
    {
        public TaskCompletionSource<CancellationToken> Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask OnRecordedAsync(ConsentRecord record, CancellationToken cancellationToken)
        {
            Entered.SetResult(cancellationToken);
            await Release.Task;
        }
    }
}
