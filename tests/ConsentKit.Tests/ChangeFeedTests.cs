using ConsentKit.Testing;
using System.Diagnostics;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ConsentKit.Tests;

/// <summary>
/// Two "instances" (own service providers, gates and caches) over one store: what one writes, the
/// other learns through its change-feed follower — and while the follower is behind, the other does
/// not trust its cache.
/// </summary>
public sealed class ChangeFeedTests
{
    private static readonly TimeSpan MaxLag = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task AWithdrawalMadeElsewhere_IsSeenOnceTheFollowerHasReadIt()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var a = new Instance(store);
        using var b = new Instance(store);
        await b.StartFollowingAsync();
        await a.Kit.GrantAsync("alice");
        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);
        (await b.Kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();

        await a.Kit.WithdrawAsync("alice");
        (await b.Kit.CheckAsync("alice")).IsAllowed.Should().BeTrue("B has not read the feed yet: this is the window the follower closes");
        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);

        var decision = await b.Kit.CheckAsync("alice");
        decision.Reason.Should().Be(ConsentDecisionReason.Withdrawn);
        b.Follower.Watermark.Should().Be(2);
    }

    [Fact]
    public async Task AnErasureMadeElsewhere_DropsTheOtherInstancesCache_SoItDeniesToo()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var a = new Instance(store);
        using var b = new Instance(store);
        await b.StartFollowingAsync();
        await a.Kit.GrantAsync("alice");
        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);
        (await b.Kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();

        // A grant that lands on the store directly (another process) is closed by the erasure itself,
        // whose records reach B without a subject id.
        await store.AppendAsync(new NewConsentRecord("alice", ConsentPurposes.Analytics, ConsentStatus.Granted, "1", ConsentKitFixture.Start, null, ConsentMethod.SubjectApiCall));
        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);
        (await b.Kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();
        await store.EraseSubjectAsync("alice", ConsentKitFixture.Start.AddMinutes(1));
        (await b.Kit.CheckAsync("alice")).IsAllowed.Should().BeTrue("B has not read the feed yet");

        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);

        (await b.Kit.CheckAsync("alice")).Reason.Should().Be(ConsentDecisionReason.NoRecord);
    }

    [Fact]
    public async Task WhileTheFollowerIsBehind_TheGateReadsTheStoreOnEveryCheck()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var b = new Instance(store);
        await b.StartFollowingAsync();
        await b.Kit.CheckAsync("alice");
        await b.Kit.CheckAsync("alice");
        store.CurrentReads.Should().Be(1, "a current follower lets the gate answer from its cache");

        b.Kit.Time.Advance(MaxLag);
        b.State.Status.Should().Be(ConsentChangeFeedStatus.Behind);
        await b.Kit.CheckAsync("alice");
        await b.Kit.CheckAsync("alice");
        store.CurrentReads.Should().Be(3);

        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);
        b.State.Status.Should().Be(ConsentChangeFeedStatus.Current);
        await b.Kit.CheckAsync("alice");
        store.CurrentReads.Should().Be(3);
    }

    [Fact]
    public async Task WhileTheFollowerIsBehind_AGrantInTheCacheIsNotUsed_AndAFailingStoreDenies()
    {
        var store = new FaultyStore();
        using var b = new Instance(store);
        await b.StartFollowingAsync();
        await b.Kit.GrantAsync("alice");
        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);
        (await b.Kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();

        store.ReadFailure = new ConsentStoreException("server gone");
        b.Kit.Time.Advance(MaxLag);

        (await b.Kit.CheckAsync("alice")).Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);
        var catchUp = async () => await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);
        await catchUp.Should().NotThrowAsync("the feed is read through GetChangesAsync, which this store still serves");
        (await b.Kit.CheckAsync("alice")).IsAllowed.Should().BeTrue("a current follower lets the cached grant be used again");
    }

    [Fact]
    public async Task AFollowerTooFarBehind_DropsTheWholeCacheAndJumpsToTheHead()
    {
        var store = new InMemoryConsentStore();
        using var a = new Instance(store);
        using var b = new Instance(store, o =>
        {
            o.PageSize = 2;
            o.MaxCatchUpRecords = 4;
        });
        await b.StartFollowingAsync();
        foreach (var subject in new[] { "carol", "dave", "erin" })
        {
            await b.Kit.CheckAsync(subject);
        }

        b.Gate.CachedSubjectCount.Should().Be(3);
        for (var i = 0; i < 5; i++)
        {
            await a.Kit.GrantAsync($"writer-{i}");
        }

        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);

        b.Gate.CachedSubjectCount.Should().Be(0);
        b.Follower.Watermark.Should().Be(5);
        b.State.Status.Should().Be(ConsentChangeFeedStatus.Current);
    }

    [Fact]
    public async Task FallingBehind_IsCountedAndTheLagIsObservable()
    {
        var store = new InMemoryConsentStore();
        using var b = new Instance(store, services: s => s.AddMetrics());
        var meters = b.Kit.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var gaps = new MetricCollector<long>(meters, "ConsentKit", "consentkit.change_feed.gaps");
        using var lag = new MetricCollector<double>(meters, "ConsentKit", "consentkit.change_feed.lag");
        await b.StartFollowingAsync();

        b.Kit.Time.Advance(TimeSpan.FromMilliseconds(400));
        lag.RecordObservableInstruments();
        lag.LastMeasurement!.Value.Should().BeApproximately(0.4, 0.001);
        gaps.GetMeasurementSnapshot().Should().BeEmpty();

        b.Kit.Time.Advance(TimeSpan.FromMilliseconds(600));
        gaps.GetMeasurementSnapshot().Should().ContainSingle().Which.Value.Should().Be(1);
    }

    [Fact]
    public async Task WithoutARunningFollower_TheGateKeepsItsShortStalenessBound()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var b = new Instance(store);
        b.State.Status.Should().Be(ConsentChangeFeedStatus.NotRunning);
        await b.Kit.CheckAsync("alice");

        b.Kit.Time.Advance(ConsentKitOptions.DefaultCacheMaxStaleness + TimeSpan.FromSeconds(1));
        await b.Kit.CheckAsync("alice");

        store.CurrentReads.Should().Be(2);
    }

    [Fact]
    public async Task WithACurrentFollower_EntriesLiveForTheLongerDefault()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var b = new Instance(store);
        await b.StartFollowingAsync();
        await b.Kit.CheckAsync("alice");

        // Keep the follower current while a minute passes: the short bound would have expired six times.
        for (var second = 0; second < 60; second++)
        {
            b.Kit.Time.Advance(TimeSpan.FromMilliseconds(500));
            await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);
        }

        await b.Kit.CheckAsync("alice");
        store.CurrentReads.Should().Be(1);
    }

    [Fact]
    public async Task AHostedFollower_PicksUpAWriteMadeElsewhere_AndANotificationWakesItEarly()
    {
        var store = new NotifyingStore();

        // A poll interval far beyond the test's patience: only the notification can wake the follower.
        using var a = new Instance(store, realTime: true);
        using var b = new Instance(store, o =>
        {
            o.PollInterval = TimeSpan.FromMinutes(10);
            o.MaxLag = TimeSpan.FromMinutes(20);
        }, realTime: true);
        var follower = b.Kit.Provider.GetServices<IHostedService>().OfType<ConsentChangeFeedFollower>().Single();
        await follower.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            await WaitUntil(() => follower.Watermark is not null && store.Listening);
            (await b.Kit.CheckAsync("alice")).IsAllowed.Should().BeFalse();

            await a.Kit.GrantAsync("alice");
            store.Notify();

            await WaitUntil(() => follower.Watermark == 1);
            (await b.Kit.CheckAsync("alice")).IsAllowed.Should().BeTrue();
        }
        finally
        {
            await follower.StopAsync(TestContext.Current.CancellationToken);
        }

        b.State.Status.Should().Be(ConsentChangeFeedStatus.NotRunning);
    }

    [Theory]
    [InlineData(1000, 1000, 1000, 1000, "PollInterval (1000 ms) must be shorter than MaxLag (1000 ms)")]
    [InlineData(0, 1000, 1000, 1000, "PollInterval must be positive")]
    [InlineData(100, -1, 1000, 1000, "MaxLag must be positive")]
    [InlineData(100, 1000, 0, 1000, "PageSize must be between 1 and 100,000")]
    [InlineData(100, 1000, 500, 10, "MaxCatchUpRecords must be at least PageSize")]
    public async Task BadFollowerOptions_StopTheAppAtStart(int pollMs, int lagMs, int pageSize, int maxCatchUp, string problem)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit().AddStandardPurposes().UseInMemoryStore().AddChangeFeedFollower(o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(pollMs);
            o.MaxLag = TimeSpan.FromMilliseconds(lagMs);
            o.PageSize = pageSize;
            o.MaxCatchUpRecords = maxCatchUp;
        });
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(problem);
    }

    [Fact]
    public void AddChangeFeedFollower_TwiceRegistersOneFollower()
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseInMemoryStore().AddChangeFeedFollower().AddChangeFeedFollower(o => o.PageSize = 10);

        using var provider = services.AddLogging().BuildServiceProvider();

        provider.GetServices<IHostedService>().OfType<ConsentChangeFeedFollower>().Should().ContainSingle();
        provider.GetRequiredService<IOptions<ConsentChangeFeedOptions>>().Value.PageSize.Should().Be(10);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "the condition should come true");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>One app instance: its own provider, gate, cache and follower over a shared store.</summary>
    [Fact]
    public async Task AFeedRecordThatDoesNotLinkToTheLastOneSeen_IsReportedAsAnIntegrityViolation()
    {
        var store = new LinkBreakingStore();
        using var a = new Instance(store);
        using var b = new Instance(store);
        await b.StartFollowingAsync();
        await a.Kit.GrantAsync("alice");
        await a.Kit.GrantAsync("bob");
        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);
        var monitor = b.Kit.Provider.GetRequiredService<ConsentIntegrityMonitor>();
        monitor.LastViolation.Should().BeNull("records 1 and 2 link");

        // Record 3 arrives naming another hash for record 2: the history was rewritten between two reads.
        store.BreakLinkOf = 3;
        await a.Kit.GrantAsync("carol");
        await b.Follower.CatchUpAsync(TestContext.Current.CancellationToken);

        monitor.LastViolation.Should().NotBeNull();
        monitor.LastViolation!.Sequence.Should().Be(3);
        monitor.LastViolation.Message.Should().Contain("with another hash");
        b.Follower.Watermark.Should().Be(3, "the feed still moves on: the violation is reported, the caches are still invalidated");
    }

    private sealed class Instance : IDisposable
    {
        public Instance(IConsentStore store, Action<ConsentChangeFeedOptions>? feed = null, Action<IServiceCollection>? services = null, bool realTime = false)
        {
            Kit = new ConsentKitFixture(
                b => b.AddChangeFeedFollower(o =>
                {
                    o.MaxLag = MaxLag;
                    feed?.Invoke(o);
                }),
                store,
                services: s =>
                {
                    services?.Invoke(s);
                    if (realTime)
                    {
                        s.AddSingleton(TimeProvider.System);
                    }
                });
        }

        public ConsentKitFixture Kit { get; }

        public ConsentChangeFeedFollower Follower => Kit.Provider.GetRequiredService<ConsentChangeFeedFollower>();

        public ConsentChangeFeedState State => Kit.Provider.GetRequiredService<ConsentChangeFeedState>();

        internal ConsentGate Gate => Kit.Provider.GetRequiredService<ConsentGate>();

        /// <summary>What the hosted service does when it starts, without its loop: the test drives the reads.</summary>
        public async Task StartFollowingAsync()
        {
            State.Start(Kit.Provider.GetRequiredService<IOptions<ConsentChangeFeedOptions>>().Value.MaxLag);
            await Follower.CatchUpAsync(TestContext.Current.CancellationToken);
        }

        public void Dispose() => Kit.Dispose();
    }

    /// <summary>An in-memory store whose change feed returns one record with a previous hash that is not its predecessor's.</summary>
    private sealed class LinkBreakingStore() : DelegatingConsentStore(new InMemoryConsentStore())
    {
        public long BreakLinkOf { get; set; }

        public override async ValueTask<IReadOnlyList<ConsentRecord>> GetChangesAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
        {
            var page = await base.GetChangesAsync(afterSequence, maxCount, cancellationToken);
            return [.. page.Select(r => r.Sequence != BreakLinkOf ? r : new ConsentRecord(
                r.Sequence,
                new NewConsentRecord(r.SubjectId, r.PurposeId, r.Status, r.NoticeVersion, r.RecordedAt, r.ExpiresAt, r.Method, r.Source, r.Metadata),
                r.SubjectKey) { Hash = r.Hash, PreviousHash = new byte[ConsentChain.HashLength], PreviousSequence = r.PreviousSequence })];
        }
    }

    /// <summary>An in-memory store that sends change notifications when the test says so.</summary>
    private sealed class NotifyingStore() : DelegatingConsentStore(new InMemoryConsentStore()), IConsentChangeNotifications
    {
        private volatile Action? _onChange;

        public bool Listening => _onChange is not null;

        public void Notify() => _onChange?.Invoke();

        public async Task ListenAsync(Action onChange, CancellationToken cancellationToken)
        {
            _onChange = onChange;
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

    }
}
