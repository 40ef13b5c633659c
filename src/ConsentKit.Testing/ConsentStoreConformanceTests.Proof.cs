using Xunit;

namespace ConsentKit.Testing;

/// <summary>The tamper-evident history, kept notices and erasure every store must offer.</summary>
public abstract partial class ConsentStoreConformanceTests
{
    /// <summary>Every record is linked to the one appended before it, with the documented hash, and the whole history verifies.</summary>
    [Fact]
    public async Task Chain_LinksEveryRecordToTheOneBefore_AndVerifies()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await Store.GetLastSequenceAsync(ct);
        await Store.AppendAsync(Record(S("alice"), metadata: new Dictionary<string, string> { ["ip"] = "192.0.2.1" }), ct);
        await Store.AppendManyAsync([Record(S("bob")), Record(S("bob"), ConsentPurposes.Analytics, ConsentStatus.Refused)], ct);
        await Store.AppendAsync(Record(S("alice"), status: ConsentStatus.Withdrawn, minutes: 1, expiresAt: null), ct);

        var chain = await ReadChainAfterAsync(Math.Max(0, before - 1), ct);
        var mine = chain.SkipWhile(e => e.Sequence <= before).ToList();
        Assert.True(mine.Count >= 4);
        for (var i = 1; i < chain.Count; i++)
        {
            Assert.Equal(chain[i - 1].Sequence, chain[i].PreviousSequence);
            Assert.True(ConsentChain.HasValidHash(chain[i], chain[i - 1].Hash.Span), $"record {chain[i].Sequence} does not match its hash");
        }

        var result = await new ConsentHistoryVerifier(Store).VerifyAsync(cancellationToken: ct);
        Assert.True(result.IsValid, result.ToString());
        Assert.True(result.RecordsChecked >= 4);
        Assert.True(result.Head.Sequence >= mine[^1].Sequence);
    }

    /// <summary>The chain names a subject only by a random 16-byte key, the same for all its records, and seals its metadata.</summary>
    [Fact]
    public async Task Chain_NamesSubjectsByPseudonymousKey_AndSealsTheirMetadata()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = await Store.AppendAsync(Record(S("alice"), metadata: new Dictionary<string, string> { ["ip"] = "198.51.100.77" }), ct);
        var second = await Store.AppendAsync(Record(S("alice"), ConsentPurposes.Analytics, ConsentStatus.Refused), ct);
        var other = await Store.AppendAsync(Record(S("bob")), ct);

        var chain = (await ReadChainAfterAsync(first.Sequence - 1, ct)).ToDictionary(e => e.Sequence);
        Assert.Equal(ConsentChain.SubjectKeyLength, chain[first.Sequence].SubjectKey.Length);
        Assert.True(chain[first.Sequence].SubjectKey.Span.SequenceEqual(chain[second.Sequence].SubjectKey.Span));
        Assert.False(chain[first.Sequence].SubjectKey.Span.SequenceEqual(chain[other.Sequence].SubjectKey.Span));
        Assert.True(first.SubjectKey.Span.SequenceEqual(chain[first.Sequence].SubjectKey.Span));
        Assert.Equal(-1, chain[first.Sequence].SealedMetadata.Span.IndexOf("198.51.100.77"u8));
        Assert.Equal(0, chain[second.Sequence].SealedMetadata.Length);
        Assert.Equal("198.51.100.77", Assert.Single(await Store.GetHistoryAsync(S("alice"), ct), r => r.Sequence == first.Sequence).Metadata["ip"]);
    }

    /// <summary>
    /// The proof log registers each new subject once — with a commitment its registry row checks out
    /// against — and records an erasure; entries are dense and linked; the store's counter is not behind.
    /// </summary>
    [Fact]
    public async Task ProofLog_RegistersEachNewSubjectOnce_AndRecordsAnErasure()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await LastProofEntryAsync(ct);
        await Store.AppendAsync(Record(S("alice")), ct);
        await Store.AppendManyAsync([Record(S("alice"), ConsentPurposes.Analytics, ConsentStatus.Refused), Record(S("bob"))], ct);
        Assert.NotNull(await Store.EraseSubjectAsync(S("alice"), T0.AddDays(1), ct));

        var entries = await Store.GetProofLogAsync(before?.Sequence ?? 0, 100, ct);
        Assert.Equal([ConsentProofEntryKind.SubjectRegistered, ConsentProofEntryKind.SubjectRegistered, ConsentProofEntryKind.SubjectErased], entries.Select(e => e.Kind));
        var previous = before?.Hash ?? ConsentChain.GenesisHash;
        for (var i = 0; i < entries.Count; i++)
        {
            Assert.Equal((before?.Sequence ?? 0) + 1 + i, entries[i].Sequence);
            Assert.True(entries[i].PreviousHash.Span.SequenceEqual(previous.Span), $"log entry {entries[i].Sequence} does not link to the one before");
            Assert.True(ConsentProofLog.HasValidHash(entries[i]), $"log entry {entries[i].Sequence} does not match its hash");
            previous = entries[i].Hash;
        }

        var registry = new List<ConsentSubjectRegistration>();
        await foreach (var row in Store.GetSubjectRegistryAsync(ct))
        {
            registry.Add(row);
        }

        Assert.DoesNotContain(registry, r => r.SubjectId == S("alice"));
        var bob = Assert.Single(registry, r => r.SubjectId == S("bob"));
        ConsentProofLog.CheckRegistration(bob.SubjectId, bob.SubjectKey.Span, bob.Secret.Span, entries[1], 0);
        Assert.Throws<ConsentStoreIntegrityException>(() => ConsentProofLog.CheckRegistration(S("alice"), bob.SubjectKey.Span, bob.Secret.Span, entries[1], 0));
        Assert.True(await Store.GetSequenceCounterAsync(ct) >= await Store.GetLastSequenceAsync(ct));
        var result = await new ConsentHistoryVerifier(Store).VerifyAsync(cancellationToken: ct);
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(entries[^1].Sequence, result.Head.LogSequence);
    }

    private async Task<ConsentProofEntry?> LastProofEntryAsync(CancellationToken ct)
    {
        ConsentProofEntry? last = null;
        for (var after = 0L; ;)
        {
            var page = await Store.GetProofLogAsync(after, 1_000, ct);
            if (page.Count == 0)
            {
                return last;
            }

            last = page[^1];
            after = last.Sequence;
        }
    }

    /// <summary>A head exported now still matches when the history is verified against it later, after more appends.</summary>
    [Fact]
    public async Task Head_ExportedNow_AnchorsALaterVerification()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.AppendAsync(Record(S("alice")), ct);
        var head = (await new ConsentHistoryVerifier(Store).VerifyAsync(cancellationToken: ct)).Head;
        await Store.AppendAsync(Record(S("bob")), ct);

        var later = await new ConsentHistoryVerifier(Store).VerifyAsync(ConsentChainHead.Parse(head.ToString()), ct);
        var forged = await new ConsentHistoryVerifier(Store).VerifyAsync(head with { Hash = new string('0', 64) }, ct);

        Assert.True(later.IsValid, later.ToString());
        Assert.Equal(ConsentVerificationProblem.AnchorMismatch, forged.Problem);
        Assert.Equal(head.Sequence, forged.FirstBadSequence);
    }

    /// <summary>A notice version is kept once, word for word; the same version with another text is refused and nothing changes.</summary>
    [Fact]
    public async Task Notices_AreKeptOnce_AndAChangedTextIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        var purpose = S("notice");
        var v1 = new ConsentNotice { PurposeId = purpose, NoticeVersion = "1", DisplayName = "Notice test", Text = "We use your posts to train models. ü☃" };
        await Store.SaveNoticesAsync([v1], T0, ct);
        await Store.SaveNoticesAsync([v1], T0.AddDays(1), ct);

        var changed = new ConsentNotice { PurposeId = purpose, NoticeVersion = "1", DisplayName = "Notice test", Text = "We use your posts for everything." };
        var conflict = await Assert.ThrowsAsync<ConsentNoticeConflictException>(async () =>
            await Store.SaveNoticesAsync([new ConsentNotice { PurposeId = purpose, NoticeVersion = "2", DisplayName = "v2", Text = "v2" }, changed], T0.AddDays(2), ct));
        Assert.Contains(purpose, conflict.Message, StringComparison.Ordinal);

        var kept = (await Store.GetNoticesAsync(ct)).Where(n => n.PurposeId == purpose).ToList();
        Assert.Equal("We use your posts to train models. ü☃", Assert.Single(kept).Text);

        var record = await Store.AppendAsync(Record(S("alice"), purpose), ct);
        var entry = Assert.Single(await ReadChainAfterAsync(record.Sequence - 1, ct), e => e.Sequence == record.Sequence);
        Assert.True(entry.NoticeDigest.Span.SequenceEqual(v1.Digest.Span));
        Assert.True(v1.WasShownFor(record));
        Assert.True(v1.WasShownFor(Assert.Single(await Store.GetHistoryAsync(S("alice"), ct))));
        Assert.True(v1.WasShownFor(Assert.Single(await Store.GetCurrentAsync(S("alice"), ct))));
        var unkept = await Store.AppendAsync(Record(S("bob"), purpose, noticeVersion: "3"), ct);
        Assert.False(new ConsentNotice { PurposeId = purpose, NoticeVersion = "3", DisplayName = "Notice test", Text = "Anything" }.WasShownFor(unkept));
    }

    /// <summary>
    /// Erasure withdraws what was granted, then nothing returns the subject id or metadata again; the
    /// records stay, marked erased, and the history still verifies.
    /// </summary>
    [Fact]
    public async Task Erase_UnlinksTheSubject_AndKeepsTheProof()
    {
        var ct = TestContext.Current.CancellationToken;
        var grant = await Store.AppendAsync(Record(S("alice"), metadata: new Dictionary<string, string> { ["ip"] = "203.0.113.9" }), ct);
        await Store.AppendAsync(Record(S("alice"), ConsentPurposes.Analytics, ConsentStatus.Refused), ct);
        await Store.AppendAsync(Record(S("bob")), ct);

        var closing = await Store.EraseSubjectAsync(S("alice"), T0.AddDays(1), ct);

        var withdrawal = Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<ConsentRecord>>(closing));
        Assert.Equal(ConsentStatus.Withdrawn, withdrawal.Status);
        Assert.Equal(ConsentPurposes.GenerativeAiTraining, withdrawal.PurposeId);
        Assert.True(withdrawal.IsSubjectErased);
        Assert.DoesNotContain(S("alice"), withdrawal.SubjectId, StringComparison.Ordinal);
        Assert.Empty(await Store.GetCurrentAsync(S("alice"), ct));
        Assert.Empty(await Store.GetHistoryAsync(S("alice"), ct));
        Assert.Empty(await Store.GetCurrentManyAsync([S("alice")], ct));
        Assert.Single(await Store.GetCurrentAsync(S("bob"), ct));

        var feed = await Store.GetChangesAsync(grant.Sequence - 1, 10_000, ct);
        var erased = feed.Where(r => r.Sequence == grant.Sequence || r.Sequence == withdrawal.Sequence).ToList();
        Assert.Equal(2, erased.Count);
        Assert.All(erased, r =>
        {
            Assert.True(r.IsSubjectErased);
            Assert.Equal(ConsentRecord.ErasedSubjectId(r.SubjectKey.Span), r.SubjectId);
            Assert.Empty(r.Metadata);
        });
        Assert.DoesNotContain(feed, r => r.SubjectId == S("alice"));

        var result = await new ConsentHistoryVerifier(Store).VerifyAsync(cancellationToken: ct);
        Assert.True(result.IsValid, result.ToString());
        Assert.Null(await Store.EraseSubjectAsync(S("alice"), T0.AddDays(2), ct));

        // The same id starts again with nothing: a new, unlinked history.
        var again = await Store.AppendAsync(Record(S("alice"), minutes: 5), ct);
        Assert.False(again.SubjectKey.Span.SequenceEqual(grant.SubjectKey.Span));
        Assert.Equal(again.Sequence, Assert.Single(await Store.GetHistoryAsync(S("alice"), ct)).Sequence);
    }

    /// <summary>Erasing with a bad subject id is refused, naming the field, and writes nothing.</summary>
    [Fact]
    public async Task Erase_WithABadSubjectId_Throws_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await Store.GetLastSequenceAsync(ct);

        var error = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.EraseSubjectAsync(" ", T0, ct));

        Assert.Equal("subjectId", error.ParamName);
        Assert.Equal(before, await Store.GetLastSequenceAsync(ct));
    }

    /// <summary>The current-state index points every pair at its latest record.</summary>
    [Fact]
    public async Task CurrentState_PointsEveryPairAtItsLatestRecord()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.AppendAsync(Record(S("alice")), ct);
        var latest = await Store.AppendAsync(Record(S("alice"), status: ConsentStatus.Withdrawn, minutes: 1), ct);

        var pointers = new List<ConsentCurrentPointer>();
        await foreach (var pointer in Store.GetCurrentStateAsync(ct))
        {
            if (pointer.SubjectKey.Span.SequenceEqual(latest.SubjectKey.Span))
            {
                pointers.Add(pointer);
            }
        }

        Assert.Equal(latest.Sequence, Assert.Single(pointers).Sequence);
    }

    private async Task<List<ConsentChainEntry>> ReadChainAfterAsync(long after, CancellationToken ct)
    {
        var result = new List<ConsentChainEntry>();
        while (true)
        {
            var page = await Store.GetChainAsync(after, 500, ct);
            result.AddRange(page);
            if (page.Count < 500)
            {
                return result;
            }

            after = page[^1].Sequence;
        }
    }
}
