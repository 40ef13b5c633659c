using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ConsentKit.Testing;

/// <summary>
/// The whole stack on your store, as an app wires it: recorder → store → gate, the reader, the pipeline
/// filter and the ledger, all resolved from DI after your <c>Use…Store</c> call. Where
/// <see cref="ConsentStoreConformanceTests"/> checks the store's contract call by call, this checks that
/// the store, registered the way apps register it, gives the promises ConsentKit makes to people.
/// </summary>
/// <remarks>
/// Derive a test class and implement <see cref="AddStore"/> with the extension your users call (for
/// example <c>builder.UseSqliteStore(…)</c>). Subject ids are the test's own (<see cref="S"/>), so a
/// database shared by the whole class works.
/// </remarks>
public abstract class ConsentKitSpecificationTests : IAsyncLifetime
{
    private readonly SpecificationStack _stack = new("s" + Guid.NewGuid().ToString("N")[..10] + "-");

    /// <summary>The app's services: ConsentKit with the standard purposes and your store.</summary>
    protected IServiceProvider Services => _stack.Services;

    private IConsentRecorder Recorder => Services.GetRequiredService<IConsentRecorder>();

    private IConsentGate Gate => Services.GetRequiredService<IConsentGate>();

    private IConsentReader Reader => Services.GetRequiredService<IConsentReader>();

    /// <summary>Registers the store under test the way an app does.</summary>
    /// <param name="builder">The ConsentKit builder.</param>
    protected abstract void AddStore(IConsentKitBuilder builder);

    /// <summary>A subject id that belongs to this test alone.</summary>
    /// <param name="name">The name the test uses, e.g. <c>alice</c>.</param>
    protected string S(string name) => _stack.Id(name);

    /// <inheritdoc />
    public virtual ValueTask InitializeAsync()
    {
        _stack.Start(AddStore);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        await _stack.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Nothing on record: every purpose is denied, and the snapshot says so for each.</summary>
    [Fact]
    public async Task WithNothingRecorded_EveryPurposeIsDenied()
    {
        var snapshot = await Reader.GetSnapshotAsync(S("ada"), TestContext.Current.CancellationToken);

        Assert.NotEmpty(snapshot.Decisions);
        Assert.All(snapshot.Decisions, d => Assert.Equal(ConsentDecisionReason.NoRecord, d.Reason));
        Assert.All(snapshot.Decisions, d => Assert.False(d.IsAllowed));
    }

    /// <summary>The subject's own grant, under the current notice, is what the gate allows, citing that very record.</summary>
    [Fact]
    public async Task AGrantThroughTheRecorder_IsAllowedByTheGate_CitingIt()
    {
        var grant = await Recorder.GrantAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "spec"), TestContext.Current.CancellationToken);

        var decision = await Gate.CheckAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken);

        Assert.True(decision.IsAllowed);
        Assert.Equal(grant.Sequence, decision.Record!.Sequence);
    }

    /// <summary>A withdrawal is honoured by the very next check, even right after a cached allow.</summary>
    [Fact]
    public async Task AWithdrawal_TakesEffectOnTheNextCheck()
    {
        var ct = TestContext.Current.CancellationToken;
        await Recorder.GrantAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"), ct);
        Assert.True((await Gate.CheckAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ct)).IsAllowed);

        await Recorder.WithdrawAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"), ct);

        Assert.Equal(ConsentDecisionReason.Withdrawn, (await Gate.CheckAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ct)).Reason);
    }

    /// <summary>An operator cannot grant for someone: the recorder refuses, naming the field, and nothing is written.</summary>
    [Fact]
    public async Task AGrantByAnOperator_IsRefused_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;

        var error = await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
            await Recorder.GrantAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, new ConsentEvidence { Method = ConsentMethod.Operator, NoticeVersion = "1" }, ct));

        Assert.Equal("evidence.Method", error.ParamName);
        Assert.Empty(await Reader.GetHistoryAsync(S("ada"), ct));
        Assert.False((await Gate.CheckAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ct)).IsAllowed);
    }

    /// <summary>Refusing the broader purpose keeps the narrower one off, even with the narrower one granted.</summary>
    [Fact]
    public async Task RefusingTheParent_DeniesAGrantedChild()
    {
        var ct = TestContext.Current.CancellationToken;
        await Recorder.GrantAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"), ct);

        await Recorder.RefuseAsync(S("ada"), ConsentPurposes.AiTraining, ConsentEvidence.FromUserInterface("1"), ct);

        var decision = await Gate.CheckAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ct);
        Assert.Equal(ConsentDecisionReason.Refused, decision.Reason);
        Assert.Equal(ConsentPurposes.AiTraining, decision.Record!.PurposeId);
    }

    /// <summary>The history read through the reader carries the notice text the person was shown.</summary>
    [Fact]
    public async Task TheHistory_CarriesTheNoticeTextThePersonSaw()
    {
        var ct = TestContext.Current.CancellationToken;
        await Recorder.GrantAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"), ct);

        var entry = Assert.Single(await Reader.GetHistoryAsync(S("ada"), ct));

        Assert.NotNull(entry.Notice);
        Assert.Equal(ConsentPurposes.GenerativeAiTraining, entry.Notice.PurposeId);
        Assert.False(string.IsNullOrWhiteSpace(entry.Notice.Text));
    }

    /// <summary>
    /// A pipeline run keeps only the opted-in subject's items and records the data use in the ledger the
    /// store registered; withdrawing afterwards shows that data use as affected.
    /// </summary>
    [Fact]
    public async Task APipelineRun_IsOnTheLedger_AndAWithdrawalFindsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.NotNull(Services.GetService<IDataUseLedger>());
        await Recorder.GrantAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"), ct);
        var items = new[] { S("ada"), S("bob"), S("ada") };

        var run = items.WhereConsented(Services.GetRequiredService<ConsentFilter>(), id => id, ConsentPurposes.GenerativeAiTraining, new ConsentFilterOptions { DataUseId = S("set"), DataUseDescription = "spec training set" });
        var kept = new List<string>();
        await foreach (var item in run.WithCancellation(ct))
        {
            kept.Add(item);
        }

        Assert.Equal([S("ada"), S("ada")], kept);
        Assert.Contains(await Reader.GetDataUsesAsync(S("ada"), ct), u => u.Id == S("set") && u.Status == DataUseStatus.Completed);
        Assert.Empty(await Reader.GetDataUsesAsync(S("bob"), ct));
        var withdrawal = await Recorder.WithdrawAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"), ct);
        Assert.Contains(await Reader.FindAffectedDataUsesAsync(withdrawal, ct), u => u.Id == S("set"));
    }

    /// <summary>Erasure withdraws what was on, the gate denies at once, and the store's history still verifies.</summary>
    [Fact]
    public async Task Erasure_DeniesAtOnce_AndTheHistoryStillVerifies()
    {
        var ct = TestContext.Current.CancellationToken;
        await Recorder.GrantAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"), ct);

        var erased = await Recorder.EraseSubjectAsync(S("ada"), ConsentEvidence.FromUserInterface(null, "spec"), ct);

        Assert.True(erased.Erased);
        Assert.False((await Gate.CheckAsync(S("ada"), ConsentPurposes.GenerativeAiTraining, ct)).IsAllowed);
        Assert.Empty(await Reader.GetHistoryAsync(S("ada"), ct));
        var verified = await Services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct);
        Assert.True(verified.IsValid, verified.ToString());
    }
}
