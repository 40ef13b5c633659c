using Xunit;

namespace ConsentKit.Testing;

/// <summary>The change feed, the conditional append and all-or-none batches.</summary>
public abstract partial class ConsentStoreConformanceTests
{
    /// <summary>The feed returns exactly the records appended after the watermark, oldest first.</summary>
    [Fact]
    public async Task GetChanges_ReturnsRecordsAfterTheWatermarkInSequenceOrder()
    {
        var head = await Store.GetLastSequenceAsync(TestContext.Current.CancellationToken);
        var appended = new List<ConsentRecord>();
        for (var i = 0; i < 5; i++)
        {
            appended.Add(await Store.AppendAsync(Record(S($"feed-{i % 2}"), minutes: i), TestContext.Current.CancellationToken));
        }

        var changes = await Store.GetChangesAsync(head, 100, TestContext.Current.CancellationToken);

        Assert.Equal(appended.Select(r => r.Sequence), changes.Select(r => r.Sequence));
        Assert.Equal(appended.Select(r => r.SubjectId), changes.Select(r => r.SubjectId));
        Assert.Equal(appended[^1].Sequence, await Store.GetLastSequenceAsync(TestContext.Current.CancellationToken));
        Assert.Empty(await Store.GetChangesAsync(appended[^1].Sequence, 100, TestContext.Current.CancellationToken));
    }

    /// <summary>Paging through the feed returns every record once: no gap and no repeat between pages.</summary>
    [Fact]
    public async Task GetChanges_PagesWithoutGapsOrRepeats()
    {
        var head = await Store.GetLastSequenceAsync(TestContext.Current.CancellationToken);
        var appended = await Store.AppendManyAsync(
            [.. Enumerable.Range(0, 25).Select(i => Record(S($"page-{i % 4}"), status: i % 3 == 0 ? ConsentStatus.Refused : ConsentStatus.Granted, minutes: i))],
            TestContext.Current.CancellationToken);

        var read = new List<ConsentRecord>();
        var pages = new List<int>();
        var watermark = head;
        while (true)
        {
            var page = await Store.GetChangesAsync(watermark, 7, TestContext.Current.CancellationToken);
            pages.Add(page.Count);
            if (page.Count == 0)
            {
                break;
            }

            read.AddRange(page);
            watermark = page[^1].Sequence;
        }

        Assert.Equal([7, 7, 7, 4, 0], pages);
        Assert.Equal(appended.Select(r => r.Sequence), read.Select(r => r.Sequence));
        Assert.Equal(appended.Select(r => r.Status), read.Select(r => r.Status));
    }

    /// <summary>
    /// A reader following the feed while eight writers append sees every record exactly once and in
    /// increasing order: a record that commits late must not appear behind the reader's watermark.
    /// </summary>
    [Fact]
    public async Task GetChanges_UnderConcurrentAppends_SkipsNothing()
    {
        const int writers = 8;
        const int perWriter = 50;
        var head = await Store.GetLastSequenceAsync(TestContext.Current.CancellationToken);
        using var done = new CancellationTokenSource();
        var read = new List<long>();
        var reader = Task.Run(async () =>
        {
            var watermark = head;
            var finished = false;
            while (true)
            {
                // One more pass after the writers finished picks up the tail.
                var last = finished;
                var page = await Store.GetChangesAsync(watermark, 5);
                foreach (var record in page)
                {
                    read.Add(record.Sequence);
                    watermark = record.Sequence;
                }

                if (page.Count == 0)
                {
                    if (last)
                    {
                        return;
                    }

                    finished = done.IsCancellationRequested;
                    await Task.Yield();
                }
            }
        });

        var appended = (await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var sequences = new List<long>();
            for (var i = 0; i < perWriter; i++)
            {
                var status = i % 2 == 0 ? ConsentStatus.Granted : ConsentStatus.Withdrawn;
                sequences.Add((await Store.AppendAsync(Record(S($"writer-{w}"), status: status, minutes: i))).Sequence);
            }

            return sequences;
        })))).SelectMany(s => s).Order().ToList();
        await done.CancelAsync();
        await reader;

        Assert.Equal(appended, read);
    }

    /// <summary>A negative watermark or a page size below 1 is refused.</summary>
    [Fact]
    public async Task GetChanges_WithBadArguments_Throws()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Store.GetChangesAsync(-1, 10));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Store.GetChangesAsync(0, 0));
    }

    /// <summary>Expecting "no record yet" for a pair without records appends.</summary>
    [Fact]
    public async Task AppendIfCurrent_WhenThePairHasNoRecordAndNoneWasExpected_Appends()
    {
        var stored = await Store.AppendIfCurrentAsync(Record(S("alice"), status: ConsentStatus.Refused), 0, TestContext.Current.CancellationToken);

        Assert.NotNull(stored);
        Assert.Equal(stored.Sequence, Assert.Single(await Store.GetCurrentAsync(S("alice"), TestContext.Current.CancellationToken)).Sequence);
    }

    /// <summary>A record that landed since the caller looked wins: nothing is written and the caller is told.</summary>
    [Fact]
    public async Task AppendIfCurrent_WhenAnotherRecordLanded_WritesNothing()
    {
        var grant = await Store.AppendAsync(Record(S("alice")), TestContext.Current.CancellationToken);
        var head = await Store.GetLastSequenceAsync(TestContext.Current.CancellationToken);

        var stored = await Store.AppendIfCurrentAsync(Record(S("alice"), status: ConsentStatus.Refused), 0, TestContext.Current.CancellationToken);

        Assert.Null(stored);
        Assert.Equal(grant.Sequence, Assert.Single(await Store.GetHistoryAsync(S("alice"), TestContext.Current.CancellationToken)).Sequence);
        Assert.Empty(await Store.GetChangesAsync(head, 10, TestContext.Current.CancellationToken));
    }

    /// <summary>Naming the pair's current sequence appends; naming an older one does not.</summary>
    [Fact]
    public async Task AppendIfCurrent_ComparesWithThePairsCurrentSequence()
    {
        var first = await Store.AppendAsync(Record(S("alice")), TestContext.Current.CancellationToken);
        var second = await Store.AppendAsync(Record(S("alice"), status: ConsentStatus.Withdrawn, minutes: 1), TestContext.Current.CancellationToken);

        var stale = await Store.AppendIfCurrentAsync(Record(S("alice"), status: ConsentStatus.Refused, minutes: 2), first.Sequence, TestContext.Current.CancellationToken);
        var fresh = await Store.AppendIfCurrentAsync(Record(S("alice"), status: ConsentStatus.Refused, minutes: 2), second.Sequence, TestContext.Current.CancellationToken);

        Assert.Null(stale);
        Assert.NotNull(fresh);
        Assert.True(fresh.Sequence > second.Sequence);
        Assert.Equal(3, (await Store.GetHistoryAsync(S("alice"), TestContext.Current.CancellationToken)).Count);
    }

    /// <summary>The condition is about one (subject, purpose) pair: other purposes and subjects do not count.</summary>
    [Fact]
    public async Task AppendIfCurrent_OnlyLooksAtItsOwnPair()
    {
        await Store.AppendAsync(Record(S("alice"), ConsentPurposes.Analytics), TestContext.Current.CancellationToken);
        await Store.AppendAsync(Record(S("bob")), TestContext.Current.CancellationToken);

        var stored = await Store.AppendIfCurrentAsync(Record(S("alice"), status: ConsentStatus.Refused), 0, TestContext.Current.CancellationToken);

        Assert.NotNull(stored);
    }

    /// <summary>Of many conditional appends racing for the same pair and the same expectation, exactly one is written.</summary>
    [Fact]
    public async Task AppendIfCurrent_RacingForOnePair_ExactlyOneWins()
    {
        const int racers = 16;
        using var start = new Barrier(racers);
        var results = await Task.WhenAll(Enumerable.Range(0, racers).Select(i => Task.Run(async () =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            return await Store.AppendIfCurrentAsync(Record(S("alice"), status: ConsentStatus.Refused, minutes: i), 0);
        })));

        var winner = Assert.Single(results, r => r is not null);
        Assert.Equal(winner!.Sequence, Assert.Single(await Store.GetHistoryAsync(S("alice"), TestContext.Current.CancellationToken)).Sequence);
    }

    /// <summary>A negative expected sequence is refused and nothing is written.</summary>
    [Fact]
    public async Task AppendIfCurrent_WithANegativeExpectation_ThrowsAndWritesNothing()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await Store.AppendIfCurrentAsync(Record(S("alice")), -1));

        Assert.Empty(await Store.GetHistoryAsync(S("alice"), TestContext.Current.CancellationToken));
    }

    /// <summary>A batch whose third record the store refuses writes none of the batch.</summary>
    [Fact]
    public async Task AppendMany_WhenOneRecordFails_WritesNone()
    {
        if (!await FailAppendsForAsync(S("poison")))
        {
            Assert.Skip($"{GetType().Name} offers no way to make one append fail (override FailAppendsForAsync).");
        }

        var head = await Store.GetLastSequenceAsync(TestContext.Current.CancellationToken);
        NewConsentRecord[] batch = [Record(S("alice")), Record(S("bob")), Record(S("poison")), Record(S("carol"))];

        await Assert.ThrowsAnyAsync<Exception>(async () => await Store.AppendManyAsync(batch));

        Assert.Empty(await Store.GetHistoryAsync(S("alice"), TestContext.Current.CancellationToken));
        Assert.Empty(await Store.GetHistoryAsync(S("bob"), TestContext.Current.CancellationToken));
        Assert.Empty(await Store.GetCurrentManyAsync([S("alice"), S("bob"), S("carol")], TestContext.Current.CancellationToken));
        Assert.Empty(await Store.GetChangesAsync(head, 10, TestContext.Current.CancellationToken));
    }
}
