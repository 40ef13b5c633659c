using ConsentKit.Testing;
using FluentAssertions;

namespace ConsentKit.Tests;

/// <summary>
/// The gate's reads for cache misses (<see cref="SubjectMissReader"/>): one read for concurrent misses of one person,
/// never shared across a write, batched while reads are out, and every caller still bounded by the store time-out.
/// </summary>
public sealed class GateMissReadTests
{
    private const string Training = ConsentPurposes.GenerativeAiTraining;

    [Fact]
    public async Task ConcurrentMissesForOnePerson_ShareOneRead()
    {
        var store = new HoldingStore();
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("alice");
        var readsBefore = store.SingleReads;
        store.Hold(reads: 1);

        var checks = Enumerable.Range(0, 5).Select(_ => kit.Gate.CheckAsync("alice", Training).AsTask()).ToList();
        await store.Waiting;
        store.Release();

        (await Task.WhenAll(checks)).Should().OnlyContain(d => d.IsAllowed);
        (store.SingleReads - readsBefore).Should().Be(1, "the four later misses joined the first one's read");
        store.ManyReads.Should().BeEmpty();
    }

    [Fact]
    public async Task AMissAfterAWrite_NeverSharesAReadAskedForBeforeIt()
    {
        var store = new HoldingStore();
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("alice");
        store.Hold(reads: 1);
        var before = kit.Gate.CheckAsync("alice", Training).AsTask();
        await store.Waiting;

        // The withdrawal as the recorder makes it: appended, then the cache told, before the caller hears "done".
        await store.AppendAsync(new NewConsentRecord("alice", Training, ConsentStatus.Withdrawn, "1", kit.Time.GetUtcNow(), null, ConsentMethod.SubjectUserInterface));
        ((IConsentCacheInvalidator)kit.Gate).Invalidate("alice");
        var after = await kit.Gate.CheckAsync("alice", Training);

        after.Reason.Should().Be(ConsentDecisionReason.Withdrawn, "this miss read the store itself while the older read was still out");
        store.Release();
        (await before).IsAllowed.Should().BeTrue("that check started before the withdrawal");
        (await kit.Gate.CheckAsync("alice", Training)).Reason.Should().Be(ConsentDecisionReason.Withdrawn, "the older read did not fill the cache");
    }

    [Fact]
    public async Task MissesThatArriveWhileReadsAreOut_GoTogetherInOneRead()
    {
        var store = new HoldingStore();
        using var kit = new ConsentKitFixture(store: store);
        for (var i = 0; i < 24; i += 2)
        {
            await kit.GrantAsync($"member-{i}");
        }

        store.Hold(reads: SubjectMissReader.MaxReadsInFlight);
        var first = Enumerable.Range(0, SubjectMissReader.MaxReadsInFlight).Select(i => kit.Gate.CheckAsync($"member-{i}", Training).AsTask()).ToList();
        await store.Waiting;
        var queued = Enumerable.Range(SubjectMissReader.MaxReadsInFlight, 20).Select(i => kit.Gate.CheckAsync($"member-{i}", Training).AsTask()).ToList();
        store.Release();

        var decisions = await Task.WhenAll(first.Concat(queued));
        decisions.Select(d => d.IsAllowed).Should().Equal(Enumerable.Range(0, SubjectMissReader.MaxReadsInFlight + 20).Select(i => i % 2 == 0));
        store.ManyReads.Should().Equal([20], "the twenty misses that waited went in one read");
    }

    [Fact]
    public async Task AFailedBatchedRead_DeniesEveryCallerInIt()
    {
        var store = new HoldingStore { FailManyReads = true };
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("member-0");
        store.Hold(reads: SubjectMissReader.MaxReadsInFlight);
        var first = Enumerable.Range(0, SubjectMissReader.MaxReadsInFlight).Select(i => kit.Gate.CheckAsync($"member-{i}", Training).AsTask()).ToList();
        await store.Waiting;
        var queued = Enumerable.Range(10, 3).Select(i => kit.Gate.CheckAsync($"member-{i}", Training).AsTask()).ToList();
        store.Release();

        (await first[0]).IsAllowed.Should().BeTrue();
        (await Task.WhenAll(queued)).Should().OnlyContain(d => d.Reason == ConsentDecisionReason.StoreUnavailable);
    }

    [Fact]
    public async Task AQueuedMiss_IsBoundedByTheStoreTimeOut_FromItsOwnStart()
    {
        var store = new HoldingStore();
        using var kit = new ConsentKitFixture(store: store, options: o => o.StoreTimeout = TimeSpan.FromSeconds(1));
        store.Hold(reads: SubjectMissReader.MaxReadsInFlight + 1, signalAt: SubjectMissReader.MaxReadsInFlight);
        var first = Enumerable.Range(0, SubjectMissReader.MaxReadsInFlight).Select(i => kit.Gate.CheckAsync($"member-{i}", Training).AsTask()).ToList();
        await store.Waiting;
        kit.Time.Advance(TimeSpan.FromMilliseconds(500));
        var queued = kit.Gate.CheckAsync("member-99", Training).AsTask();

        // At 1 s the reads ahead of it run out of time; its own read starts and hangs too, bounded at 2 s or later.
        kit.Time.Advance(TimeSpan.FromMilliseconds(500));
        (await Task.WhenAll(first)).Should().OnlyContain(d => d.Reason == ConsentDecisionReason.StoreUnavailable);
        kit.Time.Advance(TimeSpan.FromMilliseconds(500));

        // Its own second has passed (1.5 s): answered now, not when its read's own time-out comes.
        (await queued.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)).Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);
        store.Release();
    }

    /// <summary>Counts reads; while holding, each read takes its snapshot, then waits to be released.</summary>
    private sealed class HoldingStore() : DelegatingConsentStore(new InMemoryConsentStore())
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _toHold;
        private int _held;
        private int _signalAt;
        private int _single;

        public bool FailManyReads { get; init; }

        public int SingleReads => Volatile.Read(ref _single);

        public List<int> ManyReads { get; } = [];

        /// <summary>Completes once the held reads are all waiting.</summary>
        public Task Waiting => _waiting.Task;

        public void Hold(int reads, int? signalAt = null)
        {
            _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _signalAt = signalAt ?? reads;
            _held = 0;
            Volatile.Write(ref _toHold, reads);
        }

        public void Release() => _release.TrySetResult();

        public override async ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _single);
            var snapshot = await Inner.GetCurrentAsync(subjectId, cancellationToken);
            if (Interlocked.Decrement(ref _toHold) >= 0)
            {
                if (Interlocked.Increment(ref _held) == _signalAt)
                {
                    _waiting.TrySetResult();
                }

                // As a stuck driver would: the read ignores its token; the gate's time-out has to end the wait.
                await _release.Task;
            }

            return snapshot;
        }

        public override ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken = default)
        {
            lock (ManyReads)
            {
                ManyReads.Add(subjectIds.Count);
            }

            return FailManyReads ? throw new InvalidOperationException("The store failed.") : Inner.GetCurrentManyAsync(subjectIds, cancellationToken);
        }
    }
}
