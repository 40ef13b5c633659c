using Xunit;

namespace ConsentKit.Testing;

/// <summary>
/// The behaviour every <see cref="IDataUseLedger"/> must have. Derive a test class in your store's test
/// project and return a new, empty store that implements both <see cref="IConsentStore"/> and
/// <see cref="IDataUseLedger"/>.
/// </summary>
public abstract class DataUseLedgerConformanceTests : StoreTestBase
{
    /// <summary>The store's ledger.</summary>
    protected IDataUseLedger Ledger => Store as IDataUseLedger
        ?? throw new InvalidOperationException($"{Store.GetType().Name} does not implement IDataUseLedger.");

    /// <summary>A started data use is running, with every field as given.</summary>
    [Fact]
    public async Task Start_RecordsARunningDataUse()
    {
        var started = await Ledger.StartAsync(new NewDataUse { Id = S("run-1"), PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "genai-model-v7 training set", StartedAt = T0 }, TestContext.Current.CancellationToken);

        var read = await Ledger.GetAsync(S("run-1"), TestContext.Current.CancellationToken);
        Assert.NotNull(read);
        Assert.Equal(started, read);
        Assert.Equal(DataUseStatus.Running, read.Status);
        Assert.Equal("genai-model-v7 training set", read.Description);
        Assert.Equal(T0, read.StartedAt);
        Assert.Null(read.EndedAt);
        Assert.Equal(0, read.SubjectCount);
    }

    /// <summary>Ids are unique; a second start with the same id is refused and changes nothing.</summary>
    [Fact]
    public async Task Start_WithATakenId_Throws()
    {
        await Ledger.StartAsync(new NewDataUse { Id = S("run-1"), PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "first", StartedAt = T0 }, TestContext.Current.CancellationToken);

        await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
            await Ledger.StartAsync(new NewDataUse { Id = S("run-1"), PurposeId = ConsentPurposes.Analytics, Description = "second", StartedAt = T0 }));

        Assert.Equal("first", (await Ledger.GetAsync(S("run-1"), TestContext.Current.CancellationToken))!.Description);
    }

    /// <summary>Malformed data uses are refused and nothing is written.</summary>
    [Theory]
    [InlineData("", "ai-training", "d")]
    [InlineData("run\n1", "ai-training", "d")]
    [InlineData("run-1", "Not A Purpose", "d")]
    [InlineData("run-1", "ai-training", "")]
    public async Task Start_WithBadFields_ThrowsAndWritesNothing(string id, string purpose, string description)
    {
        id = id == "run-1" ? S(id) : id;
        var before = await Ledger.ListAsync(10, TestContext.Current.CancellationToken);

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Ledger.StartAsync(new NewDataUse { Id = id, PurposeId = purpose, Description = description, StartedAt = T0 }));

        Assert.Equal(before, await Ledger.ListAsync(10, TestContext.Current.CancellationToken));
    }

    /// <summary>A batch holding a subject without an id is refused naming the argument, and none of it is written.</summary>
    [Fact]
    public async Task AddSubjects_WithAMissingSubjectId_IsRefused_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var grant = await Store.AppendAsync(Grant(S("alice"), 0), ct);
        await Ledger.StartAsync(new NewDataUse { Id = S("run-bad"), PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "set", StartedAt = T0 }, ct);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await Ledger.AddSubjectsAsync(
            S("run-bad"),
            [new DataUseSubject { SubjectId = S("alice"), ConsentSequence = grant.Sequence }, new DataUseSubject { SubjectId = null!, ConsentSequence = grant.Sequence }],
            ct));

        Assert.Equal("subjects", error.ParamName);
        Assert.Equal(0, (await Ledger.GetAsync(S("run-bad"), ct))!.SubjectCount);
        Assert.Empty(await Ledger.GetSubjectsAsync(S("run-bad"), ct));
    }

    /// <summary>Completing records the end, the counts and the subjects.</summary>
    [Fact]
    public async Task Complete_RecordsCountsAndSubjects()
    {
        var grant = await Store.AppendAsync(Grant(S("alice"), 0), TestContext.Current.CancellationToken);
        await Ledger.StartAsync(new NewDataUse { Id = S("run-1"), PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "set", StartedAt = T0 }, TestContext.Current.CancellationToken);
        await Ledger.AddSubjectsAsync(S("run-1"), [new DataUseSubject { SubjectId = S("alice"), ConsentSequence = grant.Sequence }], TestContext.Current.CancellationToken);
        await Ledger.AddSubjectsAsync(S("run-1"), [new DataUseSubject { SubjectId = S("alice"), ConsentSequence = grant.Sequence }, new DataUseSubject { SubjectId = S("bob"), ConsentSequence = grant.Sequence }], TestContext.Current.CancellationToken);

        var completed = await Ledger.CompleteAsync(S("run-1"), T0.AddMinutes(5), 10, 4, TestContext.Current.CancellationToken);

        Assert.Equal(DataUseStatus.Completed, completed.Status);
        Assert.Equal(T0.AddMinutes(5), completed.EndedAt);
        Assert.Equal(2, completed.SubjectCount);
        Assert.Equal(10, completed.ItemsSeen);
        Assert.Equal(4, completed.ItemsKept);
        Assert.Equal(completed, await Ledger.GetAsync(S("run-1"), TestContext.Current.CancellationToken));
    }

    /// <summary>A failed run says so and why; it never reads as completed.</summary>
    [Fact]
    public async Task Fail_RecordsTheFailure_AndAnEndedRunCannotEndAgain()
    {
        await Ledger.StartAsync(new NewDataUse { Id = S("run-1"), PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "set", StartedAt = T0 }, TestContext.Current.CancellationToken);

        var failed = await Ledger.FailAsync(S("run-1"), T0.AddMinutes(1), "store down", TestContext.Current.CancellationToken);

        Assert.Equal(DataUseStatus.Failed, failed.Status);
        Assert.Equal("store down", failed.FailureReason);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Ledger.CompleteAsync(S("run-1"), T0, 1, 1));
        Assert.Equal(DataUseStatus.Failed, (await Ledger.GetAsync(S("run-1"), TestContext.Current.CancellationToken))!.Status);
    }

    /// <summary>A use's subjects come back with the grant that let each in, in grant order; an unknown use has none.</summary>
    [Fact]
    public async Task GetSubjects_ListsEachSubjectWithItsGrant_InGrantOrder()
    {
        await StartWith(S("genai-1"), ConsentPurposes.GenerativeAiTraining, (S("bob"), 7), (S("alice"), 3));
        await StartWith(S("genai-2"), ConsentPurposes.GenerativeAiTraining, (S("carol"), 9));

        var subjects = await Ledger.GetSubjectsAsync(S("genai-1"), TestContext.Current.CancellationToken);

        Assert.Equal([(S("alice"), 3L), (S("bob"), 7L)], subjects.Select(s => (s.SubjectId, s.ConsentSequence)));
        Assert.Empty(await Ledger.GetSubjectsAsync(S("no-such-use"), TestContext.Current.CancellationToken));
    }

    /// <summary>The uses that included a subject, optionally for one purpose.</summary>
    [Fact]
    public async Task FindBySubject_ReturnsTheUsesThatIncludedTheSubject()
    {
        await StartWith(S("genai-1"), ConsentPurposes.GenerativeAiTraining, (S("alice"), 1), (S("bob"), 2));
        await StartWith(S("analytics-1"), ConsentPurposes.Analytics, (S("alice"), 3));
        await StartWith(S("genai-2"), ConsentPurposes.GenerativeAiTraining, (S("bob"), 2));

        var alice = await Ledger.FindBySubjectAsync(S("alice"), cancellationToken: TestContext.Current.CancellationToken);
        var aliceGenAi = await Ledger.FindBySubjectAsync(S("alice"), ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken);

        Assert.Equal([S("genai-1"), S("analytics-1")], alice.Select(u => u.Id));
        Assert.Equal([S("genai-1")], aliceGenAi.Select(u => u.Id));
        Assert.Empty(await Ledger.FindBySubjectAsync(S("carol"), cancellationToken: TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// A withdrawal affects the uses that included the subject under an earlier grant, for its purpose
    /// or a descendant — and no others.
    /// </summary>
    [Fact]
    public async Task FindAffectedBy_ReturnsExactlyTheUsesUnderEarlierGrants()
    {
        var firstGrant = await Store.AppendAsync(Grant(S("alice"), 0), TestContext.Current.CancellationToken);
        var bobGrant = await Store.AppendAsync(Grant(S("bob"), 0), TestContext.Current.CancellationToken);
        var analyticsGrant = await Store.AppendAsync(Grant(S("alice"), 0, ConsentPurposes.Analytics), TestContext.Current.CancellationToken);
        await StartWith(S("before"), ConsentPurposes.GenerativeAiTraining, (S("alice"), firstGrant.Sequence), (S("bob"), bobGrant.Sequence));
        await StartWith(S("analytics"), ConsentPurposes.Analytics, (S("alice"), analyticsGrant.Sequence));
        await StartWith(S("bob-only"), ConsentPurposes.GenerativeAiTraining, (S("bob"), bobGrant.Sequence));
        var withdrawal = await Store.AppendAsync(Withdrawal(S("alice"), 1), TestContext.Current.CancellationToken);
        var regrant = await Store.AppendAsync(Grant(S("alice"), 2), TestContext.Current.CancellationToken);
        await StartWith(S("after"), ConsentPurposes.GenerativeAiTraining, (S("alice"), regrant.Sequence));
        var parentWithdrawal = await Store.AppendAsync(Withdrawal(S("alice"), 3, ConsentPurposes.AiTraining), TestContext.Current.CancellationToken);

        var byWithdrawal = await Ledger.FindAffectedByAsync(withdrawal, TestContext.Current.CancellationToken);
        var byParentWithdrawal = await Ledger.FindAffectedByAsync(parentWithdrawal, TestContext.Current.CancellationToken);

        Assert.Equal([S("before")], byWithdrawal.Select(u => u.Id));
        Assert.Equal([S("before"), S("after")], byParentWithdrawal.Select(u => u.Id));
    }

    /// <summary>
    /// After erasure the data uses that included the subject keep their counts and are still found from
    /// the erasure's closing withdrawal (withdrawal impact), but no longer by the subject's id.
    /// </summary>
    [Fact]
    public async Task Erase_KeepsTheCounts_FindsTheUsesFromTheClosingWithdrawal_NotFromTheId()
    {
        var ct = TestContext.Current.CancellationToken;
        var grant = await Store.AppendAsync(Grant(S("alice"), 0), ct);
        var bobGrant = await Store.AppendAsync(Grant(S("bob"), 0), ct);
        await StartWith(S("set"), ConsentPurposes.GenerativeAiTraining, (S("alice"), grant.Sequence), (S("bob"), bobGrant.Sequence));

        var closing = Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<ConsentRecord>>(await Store.EraseSubjectAsync(S("alice"), T0.AddDays(1), ct)));

        Assert.Equal(2, (await Ledger.GetAsync(S("set"), ct))!.SubjectCount);
        Assert.Empty(await Ledger.FindBySubjectAsync(S("alice"), cancellationToken: ct));
        Assert.Equal([S("set")], (await Ledger.FindAffectedByAsync(closing, ct)).Select(u => u.Id));
        Assert.Equal([S("set")], (await Ledger.FindBySubjectAsync(S("bob"), cancellationToken: ct)).Select(u => u.Id));
        Assert.Equal([ConsentRecord.ErasedSubjectId(closing.SubjectKey.Span), S("bob")], (await Ledger.GetSubjectsAsync(S("set"), ct)).Select(s => s.SubjectId));
    }

    /// <summary>
    /// The proof log records a data use's start, the rows each call actually added (a subject already in
    /// the use adds nothing) and its end; the whole history, ledger included, verifies.
    /// </summary>
    [Fact]
    public async Task ProofLog_RecordsADataUse_TheMembersAdded_AndItsEnd()
    {
        var ct = TestContext.Current.CancellationToken;
        var alice = await Store.AppendAsync(Grant(S("alice"), 0), ct);
        var bob = await Store.AppendAsync(Grant(S("bob"), 0), ct);
        var before = 0L;
        for (IReadOnlyList<ConsentProofEntry> page; (page = await Store.GetProofLogAsync(before, 1_000, ct)).Count > 0;)
        {
            before = page[^1].Sequence;
        }

        await Ledger.StartAsync(new NewDataUse { Id = S("logged"), PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "logged set", StartedAt = T0.AddMinutes(1) }, ct);
        await Ledger.AddSubjectsAsync(S("logged"), [new DataUseSubject { SubjectId = S("alice"), ConsentSequence = alice.Sequence }, new DataUseSubject { SubjectId = S("bob"), ConsentSequence = bob.Sequence }], ct);
        await Ledger.AddSubjectsAsync(S("logged"), [new DataUseSubject { SubjectId = S("alice"), ConsentSequence = alice.Sequence }], ct);
        await Ledger.CompleteAsync(S("logged"), T0.AddMinutes(2), 10, 2, ct);

        var entries = await Store.GetProofLogAsync(before, 100, ct);

        Assert.Equal(
            [ConsentProofEntryKind.DataUseStarted, ConsentProofEntryKind.DataUseSubjectsAdded, ConsentProofEntryKind.DataUseEnded],
            entries.Select(e => e.Kind));
        Assert.All(entries, e => Assert.True(ConsentProofLog.HasValidHash(e)));
        var result = await new ConsentHistoryVerifier(Store, Ledger).VerifyAsync(cancellationToken: ct);
        Assert.True(result.IsValid, result.ToString());
    }

    /// <summary>The list is newest first and honours the limit.</summary>
    [Fact]
    public async Task List_IsNewestFirst()
    {
        for (var i = 0; i < 5; i++)
        {
            await Ledger.StartAsync(new NewDataUse { Id = S($"run-{i}"), PurposeId = ConsentPurposes.GenerativeAiTraining, Description = $"set {i}", StartedAt = T0.AddMinutes(i) }, TestContext.Current.CancellationToken);
        }

        var list = await Ledger.ListAsync(3, TestContext.Current.CancellationToken);

        Assert.Equal([S("run-4"), S("run-3"), S("run-2")], list.Select(u => u.Id));
    }

    private async Task StartWith(string id, string purpose, params (string Subject, long Sequence)[] subjects)
    {
        await Ledger.StartAsync(new NewDataUse { Id = id, PurposeId = purpose, Description = id, StartedAt = T0 }, TestContext.Current.CancellationToken);
        await Ledger.AddSubjectsAsync(id, [.. subjects.Select(s => new DataUseSubject { SubjectId = s.Subject, ConsentSequence = s.Sequence })], TestContext.Current.CancellationToken);
        await Ledger.CompleteAsync(id, T0, subjects.Length, subjects.Length, TestContext.Current.CancellationToken);
    }

    private NewConsentRecord Grant(string subject, int minutes, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        new(subject, purpose, ConsentStatus.Granted, "1", T0.AddMinutes(minutes), null, ConsentMethod.SubjectUserInterface);

    private NewConsentRecord Withdrawal(string subject, int minutes, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        new(subject, purpose, ConsentStatus.Withdrawn, "1", T0.AddMinutes(minutes), null, ConsentMethod.SubjectUserInterface);
}
