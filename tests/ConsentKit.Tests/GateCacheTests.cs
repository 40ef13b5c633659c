using ConsentKit.Testing;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

public sealed class GateCacheTests
{
    [Fact]
    public async Task WarmCache_AnswersWithoutTheStore()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("alice");
        var afterGrant = store.CurrentReads;

        await kit.CheckAsync("alice");
        await kit.CheckAsync("alice");
        await kit.CheckAsync("alice", ConsentPurposes.Analytics);

        store.CurrentReads.Should().Be(afterGrant + 1, "one read fills the entry for every purpose");
    }

    [Fact]
    public async Task Withdrawal_IsSeenByTheVeryNextCheck_OnAWarmCache()
    {
        using var kit = new ConsentKitFixture();
        await kit.GrantAsync("alice");
        (await kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();

        await kit.WithdrawAsync("alice");

        (await kit.CheckAsync("alice")).Reason.Should().Be(ConsentDecisionReason.Withdrawn);
    }

    [Fact]
    public async Task WriteMadeElsewhere_IsSeenOnceTheCacheIsStale()
    {
        var shared = new InMemoryConsentStore();
        using var kit = new ConsentKitFixture(store: shared, options: o => o.CacheMaxStaleness = TimeSpan.FromSeconds(10));
        await kit.GrantAsync("alice");
        (await kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();

        // Another process withdraws through the same store: this process's cache was not told.
        await shared.AppendAsync(new NewConsentRecord(
            "alice", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, "1", kit.Time.GetUtcNow(), null, ConsentMethod.SubjectUserInterface));
        (await kit.CheckAsync("alice")).IsAllowed.Should().BeTrue("within the staleness bound the cache may still answer");

        kit.Time.Advance(TimeSpan.FromSeconds(11));

        (await kit.CheckAsync("alice")).Reason.Should().Be(ConsentDecisionReason.Withdrawn);
    }

    [Fact]
    public async Task ZeroStaleness_ReadsTheStoreEveryTime()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: store, options: o => o.CacheMaxStaleness = TimeSpan.Zero);

        await kit.CheckAsync("alice");
        await kit.CheckAsync("alice");

        store.CurrentReads.Should().Be(2);
    }

    [Fact]
    public async Task Cache_StaysWithinItsSizeLimit()
    {
        using var kit = new ConsentKitFixture(options: o => o.CacheSizeLimit = 10);
        for (var i = 0; i < 50; i++)
        {
            await kit.CheckAsync($"user-{i}");
        }

        kit.Provider.GetRequiredService<ConsentGate>().CachedSubjectCount.Should().BeLessThanOrEqualTo(10);
    }

    [Fact]
    public async Task ReadThatRacedAWithdrawal_IsNotLeftInTheCache()
    {
        var store = new PausingStore();
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("alice");

        // A check reads "granted", then stalls before it can fill the cache...
        store.PauseNextRead();
        var racing = kit.CheckAsync("alice").AsTask();
        await store.ReadHasSnapshot;

        // ...while the subject withdraws.
        await kit.WithdrawAsync("alice");
        store.Resume();

        (await racing).IsAllowed.Should().BeTrue("it read the state before the withdrawal");
        (await kit.CheckAsync("alice")).Reason.Should().Be(ConsentDecisionReason.Withdrawn);
    }

    [Fact]
    public async Task StoreThatThrows_DeniesWithoutThrowing()
    {
        var store = new FaultyStore();
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("alice");
        store.ReadFailure = new InvalidOperationException("disk on fire");

        var decision = await kit.CheckAsync("alice");

        decision.IsAllowed.Should().BeFalse();
        decision.Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);
    }

    [Fact]
    public async Task StoreFailure_IsNotCached()
    {
        var store = new FaultyStore();
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("alice");
        store.ReadFailure = new InvalidOperationException("blip");
        (await kit.CheckAsync("alice")).Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);

        store.ReadFailure = null;

        (await kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task StoreThatHangs_DeniesAfterTheTimeout()
    {
        var store = new FaultyStore();
        using var kit = new ConsentKitFixture(store: store, options: o => o.StoreTimeout = TimeSpan.FromSeconds(2));
        await kit.GrantAsync("alice");
        var never = new TaskCompletionSource();
        store.ReadHang = never.Task;

        var check = kit.CheckAsync("alice").AsTask();
        check.IsCompleted.Should().BeFalse();
        kit.Time.Advance(TimeSpan.FromSeconds(2));

        (await check).Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);
    }

    [Fact]
    public async Task CallerCancellation_Throws()
    {
        var store = new FaultyStore { ReadHang = new TaskCompletionSource().Task };
        using var kit = new ConsentKitFixture(store: store);
        using var cts = new CancellationTokenSource();

        var check = kit.Gate.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining, cts.Token).AsTask();
        await cts.CancelAsync();

        await check.Invoking(c => c).Should().ThrowAsync<OperationCanceledException>();
    }

    /// <summary>Reads the state, then waits to be resumed before returning it.</summary>
    private sealed class PausingStore() : DelegatingConsentStore(new InMemoryConsentStore())
    {
        private TaskCompletionSource? _snapshotTaken;
        private TaskCompletionSource? _resume;
        private int _armed;

        public Task ReadHasSnapshot => _snapshotTaken!.Task;

        public void PauseNextRead()
        {
            _snapshotTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _armed, 1);
        }

        public void Resume() => _resume!.SetResult();

        public override async ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default)
        {
            var snapshot = await Inner.GetCurrentAsync(subjectId, cancellationToken);
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _snapshotTaken!.SetResult();
                await _resume!.Task;
            }

            return snapshot;
        }

    }
}

public sealed class GateCachePackingTests
{
    [Fact]
    public async Task PurposesPastTheSixteenthAndDeepHierarchies_DecideTheSameOnAWarmCache()
    {
        // 6 standard purposes + 14 more: the last ones do not fit the slot's packed bytes, and the child
        // of purpose #17 is decided by a record whose index does not fit a nibble.
        using var kit = new ConsentKitFixture(b =>
        {
            for (var i = 0; i < 12; i++)
            {
                b.AddPurpose($"extra-{i}", $"Extra {i}", "Extra purpose.", "1");
            }

            b.AddPurpose("extra-11.child", "Child", "Child purpose.", "1", coveredByParent: true);
            b.AddPurpose("extra-11.child.leaf", "Leaf", "Leaf purpose.", "1");
        });
        var parentGrant = await kit.GrantAsync("alice", "extra-11");
        await kit.GrantAsync("alice", "extra-11.child.leaf");

        for (var pass = 0; pass < 2; pass++)
        {
            var child = await kit.CheckAsync("alice", "extra-11.child");
            child.IsAllowed.Should().BeTrue("pass {0}", pass);
            child.Record.Should().BeSameAs(parentGrant);
            (await kit.CheckAsync("alice", "extra-11.child.leaf")).IsAllowed.Should().BeTrue();
            (await kit.CheckAsync("alice", "extra-10")).Reason.Should().Be(ConsentDecisionReason.NoRecord);
        }

        var withdrawal = await kit.WithdrawAsync("alice", "extra-11");

        for (var pass = 0; pass < 2; pass++)
        {
            var leaf = await kit.CheckAsync("alice", "extra-11.child.leaf");
            leaf.Reason.Should().Be(ConsentDecisionReason.Withdrawn);
            leaf.Record.Should().BeSameAs(withdrawal);
        }
    }
}
