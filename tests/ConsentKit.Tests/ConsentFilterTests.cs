using System.Runtime.CompilerServices;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

public sealed class ConsentFilterTests : IDisposable
{
    private readonly InMemoryConsentStore _store = new();
    private readonly ConsentKitFixture _kit;

    public ConsentFilterTests()
    {
        _kit = new ConsentKitFixture(b => b.AddPurpose("newsletter", "Newsletter", "News.", "1", lifetime: TimeSpan.FromDays(30)), _store);
    }

    private ConsentFilter Filter => _kit.Provider.GetRequiredService<ConsentFilter>();

    private sealed record Post(int Id, string? AuthorId);

    [Theory]
    [InlineData(ConsentFilterLookup.BySubject)]
    [InlineData(ConsentFilterLookup.Snapshot)]
    [InlineData(ConsentFilterLookup.Automatic)]
    public async Task EveryDenialReason_LeavesItemsOut_AndIsCountedByReason(ConsentFilterLookup lookup)
    {
        await _kit.GrantAsync("granted");
        await _kit.RefuseAsync("refused");
        await _kit.GrantAsync("withdrawn");
        await _kit.WithdrawAsync("withdrawn");
        await _kit.GrantAsync("parent-withdrawn");
        await _kit.GrantAsync("parent-withdrawn", ConsentPurposes.AiTraining);
        await _kit.WithdrawAsync("parent-withdrawn", ConsentPurposes.AiTraining);
        var posts = new[] { "granted", "refused", "withdrawn", "never", "parent-withdrawn", "granted" }.Select((a, i) => new Post(i, a)).ToList();

        var run = posts.WhereConsented(Filter, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, With(lookup));
        var kept = await run.ToListAsync(TestContext.Current.CancellationToken);

        kept.Select(p => p.Id).Should().Equal(0, 5);
        run.Report.ItemsSeen.Should().Be(6);
        run.Report.ItemsKept.Should().Be(2);
        run.Report.SubjectsKept.Should().Be(1);
        run.Report.LeftOutByReason.Should().BeEquivalentTo(new Dictionary<ConsentDecisionReason, long>
        {
            [ConsentDecisionReason.Refused] = 1,
            [ConsentDecisionReason.Withdrawn] = 2,
            [ConsentDecisionReason.NoRecord] = 1,
        });
        run.Report.Completed.Should().BeTrue();
    }

    [Theory]
    [InlineData(ConsentFilterLookup.BySubject)]
    [InlineData(ConsentFilterLookup.Snapshot)]
    [InlineData(ConsentFilterLookup.Automatic)]
    public async Task AnExpiredGrant_IsLeftOut_CountedAsExpired(ConsentFilterLookup lookup)
    {
        await _kit.GrantAsync("alice", "newsletter");
        _kit.Time.Advance(TimeSpan.FromDays(31));

        var run = new[] { new Post(1, "alice") }.WhereConsented(Filter, p => p.AuthorId, "newsletter", With(lookup));

        (await run.ToListAsync(TestContext.Current.CancellationToken)).Should().BeEmpty();
        run.Report.LeftOutByReason.Should().Equal(new Dictionary<ConsentDecisionReason, long> { [ConsentDecisionReason.Expired] = 1 });
    }

    [Theory]
    [InlineData(ConsentFilterLookup.BySubject)]
    [InlineData(ConsentFilterLookup.Snapshot)]
    [InlineData(ConsentFilterLookup.Automatic)]
    public async Task AGrantUnderAnOlderNotice_IsLeftOut_CountedAsNoticeOutdated(ConsentFilterLookup lookup)
    {
        await _kit.GrantAsync("bob", ConsentPurposes.GenerativeAiTraining);
        using var newNotice = new ConsentKitFixture(
            b => b.Services.PostConfigure<ConsentKitOptions>(o =>
            {
                var i = o.Purposes.ToList().FindIndex(p => p.Id == ConsentPurposes.GenerativeAiTraining);
                var old = o.Purposes[i];
                o.Purposes[i] = new ConsentPurpose(old.Id, old.DisplayName, old.Description, "2");
            }),
            _store);

        var run = new[] { new Post(2, "bob") }.WhereConsented(newNotice.Provider.GetRequiredService<ConsentFilter>(), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, With(lookup));

        (await run.ToListAsync(TestContext.Current.CancellationToken)).Should().BeEmpty();
        run.Report.LeftOutByReason.Should().Equal(new Dictionary<ConsentDecisionReason, long> { [ConsentDecisionReason.NoticeOutdated] = 1 });
    }

    [Theory]
    [InlineData(ConsentFilterLookup.BySubject)]
    [InlineData(ConsentFilterLookup.Snapshot)]
    [InlineData(ConsentFilterLookup.Automatic)]
    public async Task AnUnregisteredPurpose_LeavesEveryItemOut_CountedAsUnknownPurpose(ConsentFilterLookup lookup)
    {
        await _kit.GrantAsync("alice", "newsletter");

        var run = new[] { new Post(1, "alice"), new Post(2, "bob") }.WhereConsented(Filter, p => p.AuthorId, "not-registered", With(lookup));

        (await run.ToListAsync(TestContext.Current.CancellationToken)).Should().BeEmpty();
        run.Report.LeftOutByReason.Should().Equal(new Dictionary<ConsentDecisionReason, long> { [ConsentDecisionReason.UnknownPurpose] = 2 });
    }

    [Theory]
    [InlineData(ConsentFilterLookup.BySubject)]
    [InlineData(ConsentFilterLookup.Snapshot)]
    [InlineData(ConsentFilterLookup.Automatic)]
    public async Task Order_IsPreserved_AcrossBatches(ConsentFilterLookup lookup)
    {
        for (var i = 0; i < 30; i += 3)
        {
            await _kit.GrantAsync($"author-{i}");
        }

        var posts = Enumerable.Range(0, 300).Select(i => new Post(i, $"author-{i % 30}")).ToList();

        var kept = await posts.WhereConsented(Filter, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, With(lookup, new ConsentFilterOptions { BatchSize = 7 }))
            .ToListAsync(TestContext.Current.CancellationToken);

        kept.Select(p => p.Id).Should().Equal(Enumerable.Range(0, 300).Where(i => i % 30 % 3 == 0));
    }

    [Theory]
    [InlineData(0, 7)]
    [InlineData(1, 7)]
    [InlineData(7, 7)]
    [InlineData(300, 7)]
    [InlineData(301, 7)]
    [InlineData(300, 300)]
    [InlineData(300, int.MaxValue)]
    public async Task AnArraySource_ReadByIndex_KeepsWhatAnyOtherSourceKeeps_WhereverTheBatchesEnd(int count, int batchSize)
    {
        for (var i = 0; i < 30; i += 3)
        {
            await _kit.GrantAsync($"author-{i}");
        }

        var posts = Enumerable.Range(0, count).Select(i => new Post(i, $"author-{i % 30}")).ToArray();
        var options = new ConsentFilterOptions { BatchSize = batchSize, Lookup = ConsentFilterLookup.BySubject };
        var fromArray = posts.WhereConsented(Filter, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, options);
        var fromSequence = posts.Select(p => p).WhereConsented(Filter, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, options);

        var kept = await fromArray.ToListAsync(TestContext.Current.CancellationToken);

        kept.Should().Equal(await fromSequence.ToListAsync(TestContext.Current.CancellationToken));
        kept.Select(p => p.Id).Should().Equal(Enumerable.Range(0, count).Where(i => i % 30 % 3 == 0));
        fromArray.Report.ItemsSeen.Should().Be(count);
        fromArray.Report.Completed.Should().BeTrue();
    }

    [Fact]
    public async Task EachSubject_IsLookedUpOncePerRun_InBatches()
    {
        var counting = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: counting);
        await kit.GrantAsync("author-1");
        var readsBefore = counting.CurrentReads;
        var posts = Enumerable.Range(0, 1_000).Select(i => new Post(i, $"author-{i % 40}")).ToList();

        var run = posts.WhereConsented(kit.Provider.GetRequiredService<ConsentFilter>(), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new ConsentFilterOptions { BatchSize = 100 });
        var kept = await run.ToListAsync(TestContext.Current.CancellationToken);

        kept.Should().HaveCount(25);
        counting.SubjectsRequested.Should().HaveCount(40).And.OnlyHaveUniqueItems();
        counting.BulkReads.Should().Be(1, "all 40 authors appear in the first batch");
        counting.CurrentReads.Should().Be(readsBefore, "the filter never checks one subject at a time");
        run.Report.Lookups.Should().Be(1);
    }

    [Fact]
    public async Task StoreFailureMidRun_FailsTheRun_AndTheLedgerEntryIsNotComplete()
    {
        var store = new FaultyStore { FailBulkReadsAfter = 1 };
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("author-0");
        await kit.GrantAsync("author-150");
        var posts = Enumerable.Range(0, 300).Select(i => new Post(i, $"author-{i}")).ToList();
        var run = posts.WhereConsented(kit.Provider.GetRequiredService<ConsentFilter>(), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining,
            new ConsentFilterOptions { BatchSize = 100, DataUseDescription = "genai set", DataUseId = "run-1" });
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
        dataUse.SubjectCount.Should().Be(1, "author-0's data did go out before the failure");
        run.Report.Completed.Should().BeFalse();
    }

    [Theory]
    [InlineData(ConsentFilterLookup.BySubject)]
    [InlineData(ConsentFilterLookup.Snapshot)]
    [InlineData(ConsentFilterLookup.Automatic)]
    public async Task RecordedRun_ListsEveryKeptSubjectWithTheGrantThatAllowedIt(ConsentFilterLookup lookup)
    {
        var alice = await _kit.GrantAsync("alice");
        var bob = await _kit.GrantAsync("bob");
        await _kit.RefuseAsync("carol");
        var posts = new[] { new Post(1, "alice"), new Post(2, "carol"), new Post(3, "bob"), new Post(4, "alice") };

        var run = posts.WhereConsented(Filter, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining,
            With(lookup, new ConsentFilterOptions { DataUseDescription = "genai-model-v7 training set" }));
        await run.ToListAsync(TestContext.Current.CancellationToken);

        var dataUse = run.Report.DataUse!;
        dataUse.Status.Should().Be(DataUseStatus.Completed);
        dataUse.SubjectCount.Should().Be(2);
        dataUse.ItemsSeen.Should().Be(4);
        dataUse.ItemsKept.Should().Be(3);
        (await _store.FindBySubjectAsync("alice", cancellationToken: TestContext.Current.CancellationToken)).Should().ContainSingle().Which.Id.Should().Be(dataUse.Id);
        (await _store.FindBySubjectAsync("carol", cancellationToken: TestContext.Current.CancellationToken)).Should().BeEmpty();
        var aliceWithdrawal = await _kit.WithdrawAsync("alice");
        (await _store.FindAffectedByAsync(aliceWithdrawal, TestContext.Current.CancellationToken)).Should().ContainSingle().Which.Id.Should().Be(dataUse.Id);
        alice.Sequence.Should().BeLessThan(bob.Sequence);
    }

    [Fact]
    public async Task Withdrawal_CallsTheImpactHandler_WithExactlyTheAffectedRuns()
    {
        var impacts = new List<WithdrawalImpact>();
        using var kit = new ConsentKitFixture(
            b => b.AddWithdrawalImpactHandler<CollectingHandler>(),
            services: s => s.AddSingleton(impacts));
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        await kit.GrantAsync("alice");
        await kit.GrantAsync("bob");
        var posts = new[] { new Post(1, "alice"), new Post(2, "bob") };
        var first = filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { DataUseDescription = "set 1", DataUseId = "set-1" });
        await first.ToListAsync(TestContext.Current.CancellationToken);
        var onlyBob = filter.Filter(posts.Skip(1), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { DataUseDescription = "set 2", DataUseId = "set-2" });
        await onlyBob.ToListAsync(TestContext.Current.CancellationToken);
        var third = filter.Filter(posts, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { DataUseDescription = "set 3", DataUseId = "set-3" });
        await third.ToListAsync(TestContext.Current.CancellationToken);

        var withdrawal = await kit.WithdrawAsync("alice");

        impacts.Should().ContainSingle();
        impacts[0].Record.Should().BeSameAs(withdrawal);
        impacts[0].AffectedDataUses.Select(u => u.Id).Should().Equal("set-1", "set-3");

        await kit.WithdrawAsync("carol");
        impacts.Should().ContainSingle("a withdrawal that affects no data use calls no handler");
    }

    [Theory]
    [InlineData(ConsentFilterLookup.BySubject)]
    [InlineData(ConsentFilterLookup.Snapshot)]
    [InlineData(ConsentFilterLookup.Automatic)]
    public async Task CancellationMidRun_Throws_AndTheRunIsMarkedFailed(ConsentFilterLookup lookup)
    {
        await _kit.GrantAsync("author-1");
        using var cts = new CancellationTokenSource();
        var run = Posts(10_000, 10).WhereConsented(Filter, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining,
            With(lookup, new ConsentFilterOptions { BatchSize = 100, DataUseDescription = "cancelled set", DataUseId = "cancelled" }));

        var act = async () =>
        {
            await foreach (var post in run.WithCancellation(cts.Token))
            {
                if (post.Id > 500)
                {
                    await cts.CancelAsync();
                }
            }
        };

        await act.Should().ThrowAsync<OperationCanceledException>();
        (await _store.GetAsync("cancelled", TestContext.Current.CancellationToken))!.Status.Should().Be(DataUseStatus.Failed);
    }

    [Theory]
    [InlineData(ConsentFilterLookup.BySubject)]
    [InlineData(ConsentFilterLookup.Snapshot)]
    [InlineData(ConsentFilterLookup.Automatic)]
    public async Task ItemsWithoutASubject_AreLeftOut(ConsentFilterLookup lookup)
    {
        await _kit.GrantAsync("alice");

        var kept = await new[] { new Post(1, null), new Post(2, "alice"), new Post(3, "") }
            .WhereConsented(Filter, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, With(lookup)).ToListAsync(TestContext.Current.CancellationToken);

        kept.Select(p => p.Id).Should().Equal(2);
    }

    [Fact]
    public async Task ARun_CanBeEnumeratedOnlyOnce()
    {
        var run = new[] { new Post(1, "alice") }.WhereConsented(Filter, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining);
        await run.ToListAsync(TestContext.Current.CancellationToken);

        var again = async () => await run.ToListAsync();

        await again.Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public void RecordingARun_WithoutALedger_FailsBeforeAnythingRuns()
    {
        using var kit = new ConsentKitFixture(store: new CountingStore(new InMemoryConsentStore()));

        var act = () => kit.Provider.GetRequiredService<ConsentFilter>()
            .Filter(Array.Empty<Post>(), p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { DataUseDescription = "x" });

        act.Should().Throw<InvalidOperationException>().WithMessage("*no data-use ledger*");
    }

    [Fact]
    public async Task ADataUseIdWithoutADescription_IsRefused_NamingTheMissingField_AndNothingIsRecorded()
    {
        var act = () => Filter.Filter(new[] { new Post(1, "alice") }, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining, new() { DataUseId = "set-1" });

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("options.DataUseDescription");
        (await _store.GetAsync("set-1", TestContext.Current.CancellationToken)).Should().BeNull();
    }

    /// <summary>The options for one way of reading consent; Automatic switches to a snapshot after the first batch here.</summary>
    private static ConsentFilterOptions With(ConsentFilterLookup lookup, ConsentFilterOptions? options = null)
    {
        options ??= new ConsentFilterOptions();
        options.Lookup = lookup;
        options.SnapshotThreshold = 0;
        return options;
    }

    private static async IAsyncEnumerable<Post> Posts(int count, int authors, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new Post(i, $"author-{i % authors}");
        }

        await Task.CompletedTask;
    }

    internal sealed class CollectingHandler(List<WithdrawalImpact> impacts) : IWithdrawalImpactHandler
    {
        public ValueTask OnWithdrawalAsync(WithdrawalImpact impact, CancellationToken cancellationToken)
        {
            impacts.Add(impact);
            return ValueTask.CompletedTask;
        }
    }

    public void Dispose() => _kit.Dispose();
}
