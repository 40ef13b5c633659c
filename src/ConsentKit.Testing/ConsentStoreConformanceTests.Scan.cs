using Xunit;

namespace ConsentKit.Testing;

/// <summary>The purpose-wide scan of the current state, for large pipeline runs.</summary>
public abstract partial class ConsentStoreConformanceTests
{
    /// <summary>A scan returns each (subject, purpose) pair's latest record for the named purposes, and nothing for other purposes.</summary>
    [Fact]
    public async Task ScanCurrent_ReturnsEachPairsLatestRecord_ForTheNamedPurposesOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.AppendAsync(Record(S("alice"), minutes: 0), ct);
        var aliceNow = await Store.AppendAsync(Record(S("alice"), status: ConsentStatus.Withdrawn, minutes: 1), ct);
        await Store.AppendAsync(Record(S("alice"), ConsentPurposes.Analytics, minutes: 2), ct);
        var bob = await Store.AppendAsync(Record(S("bob"), minutes: 3), ct);
        var carolParent = await Store.AppendAsync(Record(S("carol"), ConsentPurposes.AiTraining, ConsentStatus.Refused, minutes: 4), ct);
        await Store.AppendAsync(Record(S("dave"), ConsentPurposes.Marketing, minutes: 5), ct);

        var scan = await Store.ScanCurrentAsync([ConsentPurposes.GenerativeAiTraining, ConsentPurposes.AiTraining, ConsentPurposes.AiTraining], ct);

        var mine = scan.Records.Where(r => r.SubjectId.StartsWith(S(""), StringComparison.Ordinal)).OrderBy(r => r.Sequence).ToList();
        Assert.Equal([aliceNow.Sequence, bob.Sequence, carolParent.Sequence], mine.Select(r => r.Sequence));
        Assert.Equal([S("alice"), S("bob"), S("carol")], mine.Select(r => r.SubjectId));
        Assert.Equal([ConsentStatus.Withdrawn, ConsentStatus.Granted, ConsentStatus.Refused], mine.Select(r => r.Status));
        Assert.Equal(bob.RecordedAt, mine[1].RecordedAt);
        Assert.Equal(bob.Method, mine[1].Method);
        Assert.Equal(bob.NoticeVersion, mine[1].NoticeVersion);
        Assert.True(scan.Watermark >= carolParent.Sequence + 1, "the watermark covers every record appended before the scan");
        Assert.All(scan.Records, r => Assert.True(r.Sequence <= scan.Watermark));
    }

    /// <summary>
    /// While writers append, every scan is one consistent moment: its records are exactly each pair's last
    /// record up to its watermark, as the change feed replayed to that watermark says.
    /// </summary>
    [Fact]
    public async Task ScanCurrent_UnderConcurrentAppends_IsExactlyTheStateAtItsWatermark()
    {
        var ct = TestContext.Current.CancellationToken;
        var start = await Store.GetLastSequenceAsync(ct);
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var status = i % 3 == 2 ? ConsentStatus.Withdrawn : ConsentStatus.Granted;
                await Store.AppendAsync(Record(S($"scan-{(w * 40 + i) % 12}"), status: status, minutes: i), ct);
            }
        }, ct)).ToArray();

        var scans = new List<ConsentKit.Storage.ConsentPurposeScan>();
        while (!writers.All(w => w.IsCompleted))
        {
            scans.Add(await Store.ScanCurrentAsync([ConsentPurposes.GenerativeAiTraining], ct));
        }

        await Task.WhenAll(writers);
        scans.Add(await Store.ScanCurrentAsync([ConsentPurposes.GenerativeAiTraining], ct));
        var feed = new List<ConsentRecord>();
        for (var after = start; ;)
        {
            var page = await Store.GetChangesAsync(after, 500, ct);
            if (page.Count == 0)
            {
                break;
            }

            feed.AddRange(page);
            after = page[^1].Sequence;
        }

        foreach (var scan in scans)
        {
            var expected = feed
                .Where(r => r.Sequence <= scan.Watermark && r.SubjectId.StartsWith(S("scan-"), StringComparison.Ordinal))
                .GroupBy(r => r.SubjectId)
                .Select(g => g.MaxBy(r => r.Sequence)!.Sequence)
                .Order();
            var actual = scan.Records.Where(r => r.SubjectId.StartsWith(S("scan-"), StringComparison.Ordinal)).Select(r => r.Sequence).Order();
            Assert.Equal(expected, actual);
        }

        Assert.Equal(12, scans[^1].Records.Count(r => r.SubjectId.StartsWith(S("scan-"), StringComparison.Ordinal)));
    }

    /// <summary>An erased subject is absent from a scan: nothing returns its id.</summary>
    [Fact]
    public async Task ScanCurrent_LeavesOutErasedSubjects()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.AppendAsync(Record(S("alice")), ct);
        var bob = await Store.AppendAsync(Record(S("bob")), ct);
        await Store.EraseSubjectAsync(S("alice"), T0.AddDays(1), ct);

        var scan = await Store.ScanCurrentAsync([ConsentPurposes.GenerativeAiTraining], ct);

        Assert.DoesNotContain(scan.Records, r => r.SubjectId == S("alice"));
        Assert.Contains(scan.Records, r => r.Sequence == bob.Sequence && r.SubjectId == S("bob"));
    }

    /// <summary>A scan of no purpose, or of a null one, is refused naming the argument.</summary>
    [Fact]
    public async Task ScanCurrent_WithNoPurposeOrANullOne_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        var empty = await Assert.ThrowsAsync<ArgumentException>(async () => await Store.ScanCurrentAsync([], ct));
        var withNull = await Assert.ThrowsAsync<ArgumentException>(async () => await Store.ScanCurrentAsync([ConsentPurposes.Analytics, null!], ct));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await Store.ScanCurrentAsync(null!, ct));

        Assert.Equal("purposeIds", empty.ParamName);
        Assert.Equal("purposeIds", withNull.ParamName);
    }
}
