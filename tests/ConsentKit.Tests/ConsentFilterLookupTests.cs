using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

/// <summary>How a run reads consent: by id, from one snapshot, and the automatic switch between them.</summary>
public sealed class ConsentFilterLookupTests
{
    private sealed record Post(int Id, string? AuthorId);

    private static List<Post> Posts(int count, int authors) => [.. Enumerable.Range(0, count).Select(i => new Post(i, $"author-{i % authors}"))];

    [Fact]
    public async Task Automatic_LooksUpById_UntilTheRunHasMetMoreSubjectsThanTheThreshold_ThenReadsOneSnapshot()
    {
        var counting = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: counting);
        for (var i = 0; i < 400; i += 4)
        {
            await kit.GrantAsync($"author-{i}");
        }

        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var byId = filter.Filter(Posts(1_000, 400), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { BatchSize = 100, Lookup = ConsentFilterLookup.BySubject });
        var expected = await byId.ToListAsync(TestContext.Current.CancellationToken);
        var readsBefore = counting.BulkReads;

        var run = filter.Filter(Posts(1_000, 400), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { BatchSize = 100, SnapshotThreshold = 250 });
        var kept = await run.ToListAsync(TestContext.Current.CancellationToken);

        kept.Should().Equal(expected);
        (counting.BulkReads - readsBefore).Should().Be(2, "the first two batches (200 subjects) are looked up by id");
        counting.Scans.Should().Be(1, "the third batch passes 250 subjects: one snapshot decides every later subject");
        run.Report.SnapshotWatermark.Should().Be(await kit.Store.GetLastSequenceAsync(TestContext.Current.CancellationToken));
        run.Report.Lookups.Should().Be(3);
        run.Report.SubjectsSeen.Should().Be(400);
        run.Report.SubjectsKept.Should().Be(100);
        byId.Report.SnapshotWatermark.Should().BeNull();
    }

    [Fact]
    public async Task AThresholdOfIntMaxValue_NeverTakesASnapshot_AndABatchSizeOfIntMaxValueStillRuns()
    {
        var counting = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: counting);
        await kit.GrantAsync("author-3");

        var run = kit.Provider.GetRequiredService<ConsentFilter>().Filter(
            Posts(5_000, 50), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { BatchSize = int.MaxValue, SnapshotThreshold = int.MaxValue });
        var kept = await run.ToListAsync(TestContext.Current.CancellationToken);

        kept.Should().HaveCount(100);
        counting.Scans.Should().Be(0);
        counting.BulkReads.Should().Be(1, "one batch holds the whole source");
    }

    [Fact]
    public async Task ASnapshotThatFailsMidRun_StopsTheRun_AndTheSubjectsAlreadyOutStayOnTheRecord()
    {
        var store = new FaultyStore { FailScans = true };
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("author-0");
        await kit.GrantAsync("author-250");
        var run = kit.Provider.GetRequiredService<ConsentFilter>().Filter(
            Posts(300, 300), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining,
            new() { BatchSize = 100, SnapshotThreshold = 150, DataUseDescription = "genai set", DataUseId = "run-1" });
        var kept = new List<Post>();

        var act = async () =>
        {
            await foreach (var post in run)
            {
                kept.Add(post);
            }
        };

        await act.Should().ThrowAsync<ConsentStoreException>();
        kept.Select(p => p.Id).Should().Equal(0);
        var dataUse = await store.GetAsync("run-1", TestContext.Current.CancellationToken);
        dataUse!.Status.Should().Be(DataUseStatus.Failed);
        dataUse.SubjectCount.Should().Be(1, "author-0's data went out before the snapshot failed");
        run.Report.Completed.Should().BeFalse();
    }

    [Fact]
    public async Task AHungSnapshot_EndsTheRunAtTheStoreTimeOut()
    {
        var store = new FaultyStore { ScanHang = new TaskCompletionSource().Task };
        using var kit = new ConsentKitFixture(store: store, options: o => o.StoreTimeout = TimeSpan.FromSeconds(2));
        await kit.GrantAsync("author-0");
        var run = kit.Provider.GetRequiredService<ConsentFilter>().Filter(
            Posts(10, 10), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { Lookup = ConsentFilterLookup.Snapshot });
        await using var items = run.GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var next = items.MoveNextAsync().AsTask();
        next.IsCompleted.Should().BeFalse();
        kit.Time.Advance(TimeSpan.FromSeconds(2));

        await FluentActions.Awaiting(() => next.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken))
            .Should().ThrowAsync<ConsentStoreException>();
    }

    [Fact]
    public async Task BadLookupOptions_AreRefused_NamingTheField_AndNothingIsRecorded()
    {
        using var kit = new ConsentKitFixture();
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var ledger = kit.Provider.GetRequiredService<IDataUseLedger>();
        var posts = Posts(3, 3);

        var negative = () => filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { SnapshotThreshold = -1, DataUseDescription = "x", DataUseId = "bad-1" });
        var undefined = () => filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { Lookup = (ConsentFilterLookup)7, DataUseDescription = "x", DataUseId = "bad-2" });

        negative.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("options.SnapshotThreshold");
        undefined.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("options.Lookup");
        (await ledger.ListAsync(cancellationToken: TestContext.Current.CancellationToken)).Should().BeEmpty();
    }

    [Fact]
    public void SnapshotLookup_WithAnotherGate_IsRefused_AndAutomaticFallsBackToLookupsById()
    {
        var filter = new ConsentFilter(new AllowNobodyGate());
        var posts = Posts(3, 3);

        var snapshot = () => filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { Lookup = ConsentFilterLookup.Snapshot });
        var automatic = () => filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { SnapshotThreshold = 0 });

        snapshot.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("options.Lookup");
        automatic.Should().NotThrow();
    }

    [Fact]
    public async Task AutomaticWithAnotherGate_StillDecidesEveryItem_ById()
    {
        var filter = new ConsentFilter(new AllowNobodyGate());

        var run = filter.Filter(Posts(50, 20), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { BatchSize = 10, SnapshotThreshold = 0 });

        (await run.ToListAsync(TestContext.Current.CancellationToken)).Should().BeEmpty();
        run.Report.ItemsSeen.Should().Be(50);
        run.Report.SnapshotWatermark.Should().BeNull();
        run.Report.LeftOutByReason.Should().Equal(new Dictionary<ConsentDecisionReason, long> { [ConsentDecisionReason.NoRecord] = 50 });
    }

    private sealed class AllowNobodyGate : IConsentGate
    {
        public ValueTask<ConsentDecision> CheckAsync(string subjectId, string purposeId, CancellationToken cancellationToken = default) =>
            new(ConsentDecision.Deny(purposeId, ConsentDecisionReason.NoRecord));

        public ValueTask<IReadOnlyDictionary<string, ConsentDecision>> CheckManyAsync(
            IReadOnlyCollection<string> subjectIds, string purposeId, CancellationToken cancellationToken = default) =>
            new(subjectIds.Distinct().ToDictionary(s => s, _ => ConsentDecision.Deny(purposeId, ConsentDecisionReason.NoRecord)));
    }
}
