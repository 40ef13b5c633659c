using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

/// <summary>A snapshot kept between runs: read once, caught up from the change feed, read again when it must be.</summary>
public sealed class KeptSnapshotTests
{
    private sealed record Post(int Id, string? AuthorId);

    private static Post[] Posts(int count, int authors) => [.. Enumerable.Range(0, count).Select(i => new Post(i, $"author-{i % authors}"))];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ALaterRun_SeesEveryChangeMadeBeforeIt_WithoutReadingThePurposeWholeAgain()
    {
        var counting = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: counting);
        await kit.GrantAsync("author-1");
        await kit.GrantAsync("author-2");
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
        kept.Watermark.Should().Be(0, "nothing is read before the first run");

        var first = filter.Filter(Posts(40, 10), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept });
        (await first.ToListAsync(Ct)).Select(p => p.AuthorId).Distinct().Should().BeEquivalentTo("author-1", "author-2");

        await kit.WithdrawAsync("author-1");
        await kit.GrantAsync("author-3");
        await kit.GrantAsync("author-9", ConsentPurposes.Analytics);
        var bulkReadsBefore = counting.BulkReads;
        var second = filter.Filter(Posts(40, 10), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept });
        var kept2 = await second.ToListAsync(Ct);

        kept2.Select(p => p.AuthorId).Distinct().Should().BeEquivalentTo("author-2", "author-3");
        counting.Scans.Should().Be(1, "the second run caught up from the change feed");
        (counting.BulkReads - bulkReadsBefore).Should().Be(1, "the two changed subjects are decided again in one read by id");
        counting.SubjectsRequested.Should().BeEquivalentTo(["author-1", "author-3"], "a change to another purpose is not this snapshot's business");
        var last = await kit.Store.GetLastSequenceAsync(Ct);
        second.Report.SnapshotWatermark.Should().Be(last);
        kept.Watermark.Should().Be(last);
        second.Report.LeftOutByReason.Should().ContainKey(ConsentDecisionReason.Withdrawn);
    }

    [Fact]
    public async Task OverRoundsOfRandomChanges_AKeptSnapshotDecidesExactlyAsAFreshOne()
    {
        var counting = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: counting);
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
        var random = new Random(13);
        var posts = Posts(600, 120);

        for (var round = 0; round < 8; round++)
        {
            for (var change = 0; change < 25; change++)
            {
                var author = $"author-{random.Next(150)}";
                var purpose = random.Next(4) == 0 ? ConsentPurposes.AiTraining : ConsentPurposes.GenerativeAiTraining;
                try
                {
                    await (random.Next(3) switch
                    {
                        0 => kit.GrantAsync(author, purpose),
                        1 => kit.WithdrawAsync(author, purpose),
                        _ => kit.RefuseAsync(author, purpose),
                    });
                }
                catch (ConsentBlockedByAncestorException)
                {
                    // A grant under a refused parent is refused: part of what the rounds exercise.
                }
            }

            var fresh = filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { Lookup = ConsentFilterLookup.Snapshot });
            var expected = await fresh.ToListAsync(Ct);
            var run = filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept });

            (await run.ToListAsync(Ct)).Should().Equal(expected, $"round {round}");
            run.Report.LeftOutByReason.Should().Equal(fresh.Report.LeftOutByReason);
            run.Report.SubjectsKept.Should().Be(fresh.Report.SubjectsKept);
        }

        kept.FullReads.Should().Be(1);
    }

    [Fact]
    public async Task AGrantReachingItsExpiry_IsReadAgain_AndDenied()
    {
        var counting = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(
            b => b.AddPurpose("newsletter", "Newsletter", "Send me the newsletter.", "1", lifetime: TimeSpan.FromDays(365)), counting);
        await kit.GrantAsync("author-0", "newsletter");
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot("newsletter");
        var options = new ConsentFilterOptions { KeptSnapshot = kept };
        (await filter.Filter(Posts(4, 2), p => p.AuthorId, "newsletter", options).ToListAsync(Ct)).Should().HaveCount(2);

        kit.Time.Advance(TimeSpan.FromDays(365));
        var run = filter.Filter(Posts(4, 2), p => p.AuthorId, "newsletter", options);

        (await run.ToListAsync(Ct)).Should().BeEmpty();
        run.Report.LeftOutByReason.Should().ContainKey(ConsentDecisionReason.Expired);
        kept.FullReads.Should().Be(2, "no change was recorded, but a decision changed by time");
    }

    [Fact]
    public async Task AnErasedSubject_IsReadAgain_AndLeftOut()
    {
        using var kit = new ConsentKitFixture();
        await kit.GrantAsync("author-0");
        await kit.GrantAsync("author-1");
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
        var options = new ConsentFilterOptions { KeptSnapshot = kept };
        (await filter.Filter(Posts(4, 2), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, options).ToListAsync(Ct)).Should().HaveCount(4);

        await kit.Recorder.EraseSubjectAsync("author-0", ConsentEvidence.FromUserInterface("1", "settings-page"), Ct);

        (await filter.Filter(Posts(4, 2), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, options).ToListAsync(Ct))
            .Select(p => p.AuthorId).Should().OnlyContain(a => a == "author-1");
        kept.FullReads.Should().Be(2);
    }

    [Fact]
    public async Task MoreChangesThanAnEighthOfTheSnapshot_AreReadWholeAgain()
    {
        var counting = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: counting);
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
        var options = new ConsentFilterOptions { KeptSnapshot = kept };
        await kit.GrantAsync("author-0");
        await filter.Filter(Posts(10, 10), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, options).ToListAsync(Ct);

        await kit.Store.AppendManyAsync(
            [.. Enumerable.Range(1, ConsentPurposeReader.MinimumCatchUp + 1).Select(i => new NewConsentRecord(
                $"author-{i}", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", kit.Time.GetUtcNow(), null, ConsentMethod.SubjectUserInterface))],
            Ct);
        var run = filter.Filter(Posts(10, 10), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, options);

        (await run.ToListAsync(Ct)).Should().HaveCount(10);
        counting.Scans.Should().Be(2);
        kept.FullReads.Should().Be(2);
    }

    [Fact]
    public async Task AStoreFailingWhileCatchingUp_StopsThatRun_AndTheNextCatchesUp()
    {
        var store = new FaultyStore();
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("author-0");
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
        var options = new ConsentFilterOptions { KeptSnapshot = kept };
        await filter.Filter(Posts(4, 2), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, options).ToListAsync(Ct);
        await kit.WithdrawAsync("author-0");
        await kit.GrantAsync("author-1");

        store.ReadFailure = new InvalidOperationException("the store went away");
        var failing = async () => await filter.Filter(Posts(4, 2), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, options).ToListAsync(Ct);
        await failing.Should().ThrowAsync<ConsentStoreException>();
        store.ReadFailure = null;

        (await filter.Filter(Posts(4, 2), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, options).ToListAsync(Ct))
            .Select(p => p.AuthorId).Should().Equal("author-1", "author-1");
        kept.FullReads.Should().Be(1);
    }

    [Fact]
    public async Task ConcurrentRunsOnOneKeptSnapshot_EachDecideAlike()
    {
        using var kit = new ConsentKitFixture();
        for (var i = 0; i < 300; i += 3)
        {
            await kit.GrantAsync($"author-{i}");
        }

        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
        var posts = Posts(3_000, 300);

        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var run = filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept });
            var items = await run.ToListAsync(Ct);
            return (items.Count, run.Report.SubjectsSeen, run.Report.SubjectsKept);
        })));

        runs.Should().AllBeEquivalentTo((1_000, 300L, 100L));
        kept.FullReads.Should().Be(1);
    }

    [Fact]
    public async Task AKeptSnapshotThatCannotTakeEffect_IsRefused_NamingTheOption_AndNothingIsWritten()
    {
        using var kit = new ConsentKitFixture();
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        using var other = new ConsentKitFixture();
        var kept = filter.KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
        var posts = Posts(4, 2);

        var wrongPurpose = () => filter.Filter(posts, p => p.AuthorId, ConsentPurposes.Analytics, new() { KeptSnapshot = kept });
        var bySubject = () => filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept, Lookup = ConsentFilterLookup.BySubject });
        var otherFilter = () => other.Provider.GetRequiredService<ConsentFilter>().Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept });
        var unknown = () => filter.KeepSnapshot("no-such-purpose");

        wrongPurpose.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("options.KeptSnapshot");
        bySubject.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("options.Lookup");
        otherFilter.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("options.KeptSnapshot");
        unknown.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("purposeId");
        (await kit.Store.GetLastSequenceAsync(Ct)).Should().Be(0);
        kept.Watermark.Should().Be(0);
    }
}
