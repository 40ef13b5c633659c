using Xunit;

namespace ConsentKit.Testing;

/// <summary>
/// The behaviour every <see cref="IConsentStore"/> must have. Derive a test class in your store's test
/// project, implement <see cref="StoreTestBase.CreateStoreAsync"/>, and every test here runs against your store.
/// </summary>
/// <remarks>
/// Each test uses subject ids of its own (<see cref="StoreTestBase.S"/>), so the suite passes both on a
/// new store per test and on one store shared by the whole class (an <c>IClassFixture</c> holding a
/// server database, say): <see cref="StoreTestBase.CreateStoreAsync"/> decides which.
/// </remarks>
public abstract partial class ConsentStoreConformanceTests : StoreTestBase
{
    /// <summary>A record for tests.</summary>
    protected static NewConsentRecord Record(
        string subjectId,
        string purposeId = ConsentPurposes.GenerativeAiTraining,
        ConsentStatus status = ConsentStatus.Granted,
        int minutes = 0,
        string noticeVersion = "1",
        string? source = "settings-page",
        IReadOnlyDictionary<string, string>? metadata = null,
        DateTimeOffset? expiresAt = null) =>
        new(subjectId, purposeId, status, noticeVersion, T0.AddMinutes(minutes), expiresAt,
            status == ConsentStatus.Granted ? ConsentMethod.SubjectUserInterface : ConsentMethod.Operator, source, metadata);

    /// <summary>Appends return positive sequences that increase in append order.</summary>
    [Fact]
    public async Task Append_AssignsIncreasingSequences()
    {
        var first = await Store.AppendAsync(Record(S("alice")), TestContext.Current.CancellationToken);
        var second = await Store.AppendAsync(Record(S("bob")), TestContext.Current.CancellationToken);
        var third = await Store.AppendAsync(Record(S("alice"), status: ConsentStatus.Withdrawn), TestContext.Current.CancellationToken);

        Assert.True(first.Sequence > 0);
        Assert.True(second.Sequence > first.Sequence);
        Assert.True(third.Sequence > second.Sequence);
    }

    /// <summary>Every field survives the round trip unchanged, including awkward text.</summary>
    [Fact]
    public async Task Append_RoundTripsEveryField()
    {
        var subject = S("o'brien; DROP TABLE consent_events; -- \"ü☃𝄞\" ").PadRight(ConsentRecordRules.MaxSubjectIdLength, 'x');
        var metadata = new Dictionary<string, string> { ["ip-country"] = "DE", ["quote'key"] = "value; -- \"x\" ✓" };
        var expiry = T0.AddDays(365);
        var appended = await Store.AppendAsync(
            Record(subject, source: "settings'page;--", metadata: metadata, noticeVersion: "2026-11 ü", expiresAt: expiry),
            TestContext.Current.CancellationToken);

        var history = await Store.GetHistoryAsync(subject, TestContext.Current.CancellationToken);
        var read = Assert.Single(history);
        Assert.Equal(appended.Sequence, read.Sequence);
        Assert.Equal(subject, read.SubjectId);
        Assert.Equal(ConsentPurposes.GenerativeAiTraining, read.PurposeId);
        Assert.Equal(ConsentStatus.Granted, read.Status);
        Assert.Equal("2026-11 ü", read.NoticeVersion);
        Assert.Equal(T0, read.RecordedAt);
        Assert.Equal(expiry, read.ExpiresAt);
        Assert.Equal(ConsentMethod.SubjectUserInterface, read.Method);
        Assert.Equal("settings'page;--", read.Source);
        Assert.Equal(metadata.OrderBy(p => p.Key, StringComparer.Ordinal), read.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    /// <summary>Optional fields left out come back empty, not invented.</summary>
    [Fact]
    public async Task Append_WithoutOptionalFields_ReadsBackWithoutThem()
    {
        await Store.AppendAsync(Record(S("alice"), status: ConsentStatus.Refused, source: null), TestContext.Current.CancellationToken);

        var read = Assert.Single(await Store.GetCurrentAsync(S("alice"), TestContext.Current.CancellationToken));
        Assert.Null(read.Source);
        Assert.Null(read.ExpiresAt);
        Assert.Empty(read.Metadata);
        Assert.Equal(ConsentMethod.Operator, read.Method);
    }

    /// <summary>A subject without records has no current state and no history.</summary>
    [Fact]
    public async Task Reads_ForUnknownSubject_AreEmpty()
    {
        await Store.AppendAsync(Record(S("alice")), TestContext.Current.CancellationToken);

        Assert.Empty(await Store.GetCurrentAsync(S("nobody"), TestContext.Current.CancellationToken));
        Assert.Empty(await Store.GetHistoryAsync(S("nobody"), TestContext.Current.CancellationToken));
        Assert.Empty(await Store.GetCurrentManyAsync([S("nobody")], TestContext.Current.CancellationToken));
    }

    /// <summary>The current state is the last record of each purpose.</summary>
    [Fact]
    public async Task GetCurrent_ReturnsLastRecordPerPurpose()
    {
        await Store.AppendAsync(Record(S("alice"), ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, 0), TestContext.Current.CancellationToken);
        await Store.AppendAsync(Record(S("alice"), ConsentPurposes.Analytics, ConsentStatus.Refused, 1), TestContext.Current.CancellationToken);
        var withdrawal = await Store.AppendAsync(Record(S("alice"), ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, 2), TestContext.Current.CancellationToken);
        var regrant = await Store.AppendAsync(Record(S("alice"), ConsentPurposes.Analytics, ConsentStatus.Granted, 3), TestContext.Current.CancellationToken);

        var current = await Store.GetCurrentAsync(S("alice"), TestContext.Current.CancellationToken);

        Assert.Equal(2, current.Count);
        Assert.Equal(withdrawal.Sequence, current.Single(r => r.PurposeId == ConsentPurposes.GenerativeAiTraining).Sequence);
        Assert.Equal(ConsentStatus.Withdrawn, current.Single(r => r.PurposeId == ConsentPurposes.GenerativeAiTraining).Status);
        Assert.Equal(regrant.Sequence, current.Single(r => r.PurposeId == ConsentPurposes.Analytics).Sequence);
    }

    /// <summary>History keeps every record, oldest first; nothing is overwritten.</summary>
    [Fact]
    public async Task GetHistory_ReturnsEveryRecordInSequenceOrder()
    {
        var statuses = new[] { ConsentStatus.Granted, ConsentStatus.Withdrawn, ConsentStatus.Granted, ConsentStatus.Refused };
        var appended = new List<long>();
        for (var i = 0; i < statuses.Length; i++)
        {
            appended.Add((await Store.AppendAsync(Record(S("alice"), status: statuses[i], minutes: i), TestContext.Current.CancellationToken)).Sequence);
            await Store.AppendAsync(Record(S("bob"), minutes: i), TestContext.Current.CancellationToken);
        }

        var history = await Store.GetHistoryAsync(S("alice"), TestContext.Current.CancellationToken);

        Assert.Equal(appended, history.Select(r => r.Sequence));
        Assert.Equal(statuses, history.Select(r => r.Status));
        Assert.All(history, r => Assert.Equal(S("alice"), r.SubjectId));
    }

    /// <summary>Subjects never see each other's records, even with ids that differ only in case or by a prefix.</summary>
    [Fact]
    public async Task Subjects_AreIsolated()
    {
        await Store.AppendAsync(Record(S("alice")), TestContext.Current.CancellationToken);
        await Store.AppendAsync(Record(S("Alice"), status: ConsentStatus.Refused), TestContext.Current.CancellationToken);
        await Store.AppendAsync(Record(S("alice2"), status: ConsentStatus.Withdrawn), TestContext.Current.CancellationToken);

        var alice = Assert.Single(await Store.GetCurrentAsync(S("alice"), TestContext.Current.CancellationToken));
        var upper = Assert.Single(await Store.GetCurrentAsync(S("Alice"), TestContext.Current.CancellationToken));
        Assert.Equal(ConsentStatus.Granted, alice.Status);
        Assert.Equal(ConsentStatus.Refused, upper.Status);
        Assert.Single(await Store.GetHistoryAsync(S("alice"), TestContext.Current.CancellationToken));
        Assert.Empty(await Store.GetCurrentAsync(S("alic"), TestContext.Current.CancellationToken));
    }

    /// <summary>The bulk read returns the current records of exactly the subjects asked for.</summary>
    [Fact]
    public async Task GetCurrentMany_ReturnsCurrentRecordsOfRequestedSubjectsOnly()
    {
        await Store.AppendAsync(Record(S("alice"), ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, 0), TestContext.Current.CancellationToken);
        var aliceNow = await Store.AppendAsync(Record(S("alice"), ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, 1), TestContext.Current.CancellationToken);
        var aliceAnalytics = await Store.AppendAsync(Record(S("alice"), ConsentPurposes.Analytics, ConsentStatus.Granted, 1), TestContext.Current.CancellationToken);
        var bob = await Store.AppendAsync(Record(S("bob")), TestContext.Current.CancellationToken);
        await Store.AppendAsync(Record(S("carol")), TestContext.Current.CancellationToken);

        var current = await Store.GetCurrentManyAsync([S("alice"), S("bob"), S("alice"), S("nobody")], TestContext.Current.CancellationToken);

        Assert.Equal(
            new[] { aliceNow.Sequence, aliceAnalytics.Sequence, bob.Sequence }.Order(),
            current.Select(r => r.Sequence).Order());
    }

    /// <summary>An empty bulk request reads nothing.</summary>
    [Fact]
    public async Task GetCurrentMany_WithNoSubjects_IsEmpty()
    {
        await Store.AppendAsync(Record(S("alice")), TestContext.Current.CancellationToken);

        Assert.Empty(await Store.GetCurrentManyAsync([], TestContext.Current.CancellationToken));
    }

    /// <summary>The bulk read handles thousands of subjects in one call.</summary>
    [Fact]
    public async Task GetCurrentMany_HandlesThousandsOfSubjects()
    {
        const int subjects = 5_000;
        for (var i = 0; i < subjects; i += 2)
        {
            await Store.AppendAsync(Record(S($"user-{i}")), TestContext.Current.CancellationToken);
        }

        var ids = Enumerable.Range(0, subjects).Select(i => S($"user-{i}")).ToArray();
        var current = await Store.GetCurrentManyAsync(ids, TestContext.Current.CancellationToken);

        Assert.Equal(subjects / 2, current.Count);
        Assert.Equal(ids.Where((_, i) => i % 2 == 0).Order(StringComparer.Ordinal), current.Select(r => r.SubjectId).Order(StringComparer.Ordinal));
    }

    /// <summary>Concurrent appends lose nothing and never reuse a sequence.</summary>
    [Fact]
    public async Task ConcurrentAppends_LoseNothingAndKeepSequencesUnique()
    {
        const int writers = 8;
        const int perWriter = 40;
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var sequences = new List<long>();
            for (var i = 0; i < perWriter; i++)
            {
                var status = i % 2 == 0 ? ConsentStatus.Granted : ConsentStatus.Withdrawn;
                sequences.Add((await Store.AppendAsync(Record(S($"writer-{w}"), status: status, minutes: i))).Sequence);
            }

            return sequences;
        })).ToArray();

        var all = (await Task.WhenAll(tasks)).SelectMany(s => s).ToList();

        Assert.Equal(writers * perWriter, all.Distinct().Count());
        for (var w = 0; w < writers; w++)
        {
            var history = await Store.GetHistoryAsync(S($"writer-{w}"), TestContext.Current.CancellationToken);
            Assert.Equal(perWriter, history.Count);
            Assert.Equal(history.Select(r => r.Sequence).Order(), history.Select(r => r.Sequence));
            var current = Assert.Single(await Store.GetCurrentAsync(S($"writer-{w}"), TestContext.Current.CancellationToken));
            Assert.Equal(history[^1].Sequence, current.Sequence);
        }
    }

    /// <summary>A batch is appended in order with increasing sequences, and reads see all of it.</summary>
    [Fact]
    public async Task AppendMany_AppendsInOrder()
    {
        var batch = Enumerable.Range(0, 50)
            .Select(i => Record(S($"batch-{i % 5}"), status: i % 3 == 0 ? ConsentStatus.Refused : ConsentStatus.Granted, minutes: i))
            .ToArray();

        var stored = await Store.AppendManyAsync(batch, TestContext.Current.CancellationToken);

        Assert.Equal(batch.Length, stored.Count);
        Assert.Equal(stored.Select(r => r.Sequence).Order(), stored.Select(r => r.Sequence));
        Assert.Equal(batch.Select(r => r.SubjectId), stored.Select(r => r.SubjectId));
        Assert.Equal(batch.Select(r => r.Status), stored.Select(r => r.Status));
        var current = await Store.GetCurrentManyAsync([.. Enumerable.Range(0, 5).Select(i => S($"batch-{i}"))], TestContext.Current.CancellationToken);
        Assert.Equal(
            stored.GroupBy(r => r.SubjectId).Select(g => g.Max(r => r.Sequence)).Order(),
            current.Select(r => r.Sequence).Order());
    }

    /// <summary>An empty batch writes nothing and returns nothing.</summary>
    [Fact]
    public async Task AppendMany_Empty_WritesNothing()
    {
        Assert.Empty(await Store.AppendManyAsync([], TestContext.Current.CancellationToken));
        Assert.Empty(await Store.GetCurrentManyAsync([S("alice")], TestContext.Current.CancellationToken));
    }

    /// <summary>A cancelled call throws and writes nothing.</summary>
    [Fact]
    public async Task Append_WithCancelledToken_ThrowsAndWritesNothing()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Store.AppendAsync(Record(S("alice")), cts.Token));

        Assert.Empty(await Store.GetHistoryAsync(S("alice"), TestContext.Current.CancellationToken));
    }
}
