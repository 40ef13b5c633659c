using Microsoft.Extensions.DependencyInjection;
using FluentAssertions;

namespace ConsentKit.Tests;

/// <summary>
/// Every choice takes effect or is refused with a reason: no grant that the gate would ignore is ever
/// recorded, and turning a parent off takes its granted children with it, all or none.
/// </summary>
public sealed class HierarchyChoiceTests
{
    private const string Parent = ConsentPurposes.AiTraining;
    private const string Child = ConsentPurposes.GenerativeAiTraining;

    [Theory]
    [InlineData(ConsentStatus.Refused, ConsentDecisionReason.Refused)]
    [InlineData(ConsentStatus.Withdrawn, ConsentDecisionReason.Withdrawn)]
    public async Task AGrantUnderARefusedOrWithdrawnParent_IsRefused_NamingTheParent_AndWritesNothing(ConsentStatus parentStatus, ConsentDecisionReason expected)
    {
        using var kit = new ConsentKitFixture();
        if (parentStatus == ConsentStatus.Refused)
        {
            await kit.RefuseAsync("alice", Parent);
        }
        else
        {
            await kit.GrantAsync("alice", Parent);
            await kit.WithdrawAsync("alice", Parent);
        }

        var before = await kit.Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken);

        var act = async () => await kit.GrantAsync("alice", Child);

        var thrown = (await act.Should().ThrowAsync<ConsentBlockedByAncestorException>()).Which;
        thrown.AncestorId.Should().Be(Parent);
        thrown.AncestorState.Should().Be(expected);
        thrown.Message.Should().Contain($"'{Child}' cannot be granted while '{Parent}' is {expected.ToString().ToLowerInvariant()}");
        (await kit.Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken)).Should().HaveCount(before.Count);
    }

    [Fact]
    public async Task AGrantUnderAnExpiredParent_IsRefused()
    {
        using var kit = new ConsentKitFixture(b => b
            .AddPurpose("research", "Research", "Research use.", "1", lifetime: TimeSpan.FromDays(30))
            .AddPurpose("research.papers", "Papers", "Research papers.", "1"));
        await kit.GrantAsync("alice", "research");
        kit.Time.Advance(TimeSpan.FromDays(31));

        var act = async () => await kit.GrantAsync("alice", "research.papers");

        (await act.Should().ThrowAsync<ConsentBlockedByAncestorException>()).Which.AncestorState.Should().Be(ConsentDecisionReason.Expired);
    }

    [Fact]
    public async Task AGrantWhileTheParentHasNoRecord_IsRecordedAndAllows()
    {
        using var kit = new ConsentKitFixture();

        await kit.GrantAsync("alice", Child);

        (await kit.CheckAsync("alice", Child)).IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task WithdrawingTheParent_WithdrawsTheGrantedChildInOneAppend_SoRegrantingTheParentRevivesNothing()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("alice", Parent);
        await kit.GrantAsync("alice", Child);
        await kit.RefuseAsync("alice", ConsentPurposes.Analytics);
        var appendsBefore = store.Appends;

        var withdrawal = await kit.WithdrawAsync("alice", Parent);

        store.Appends.Should().Be(appendsBefore + 2, "the parent's and the child's withdrawal, in one AppendManyAsync");
        var current = await kit.Store.GetCurrentAsync("alice", TestContext.Current.CancellationToken);
        var child = current.Single(r => r.PurposeId == Child);
        child.Status.Should().Be(ConsentStatus.Withdrawn);
        child.Sequence.Should().Be(withdrawal.Sequence + 1);
        child.Method.Should().Be(ConsentMethod.SubjectUserInterface);
        child.Metadata["cascaded-from"].Should().Be(Parent);
        current.Single(r => r.PurposeId == ConsentPurposes.Analytics).Status.Should().Be(ConsentStatus.Refused, "only descendants follow");

        await kit.GrantAsync("alice", Parent);

        (await kit.CheckAsync("alice", Child)).Reason.Should().Be(ConsentDecisionReason.Withdrawn, "the child stays off until chosen again");
    }

    [Fact]
    public async Task ACascadeThatCannotBeWritten_WritesNothing_NotEvenTheParent()
    {
        var inner = new InMemoryConsentStore();
        using var kit = new ConsentKitFixture(store: inner);
        await kit.GrantAsync("alice", Parent);
        await kit.GrantAsync("alice", Child);
        inner.AppendFault = r => r.PurposeId == Child ? new ConsentStoreException("disk full") : null;

        var act = async () => await kit.RefuseAsync("alice", Parent);

        await act.Should().ThrowAsync<ConsentStoreException>();
        (await kit.Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken)).Should().HaveCount(2);
        (await kit.CheckAsync("alice", Parent)).IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task APrivacySignalRefusal_NeverCascadesOntoAnExplicitChoice()
    {
        using var kit = new ConsentKitFixture();
        await kit.GrantAsync("alice", Child);

        await kit.Recorder.RefuseAsync("alice", Parent, new ConsentEvidence { Method = ConsentMethod.PrivacySignal, NoticeVersion = null, Source = "gpc" }, TestContext.Current.CancellationToken);

        var childRecord = (await kit.Store.GetCurrentAsync("alice", TestContext.Current.CancellationToken)).Single(r => r.PurposeId == Child);
        childRecord.Status.Should().Be(ConsentStatus.Granted);
    }

    [Fact]
    public async Task AChoiceWhoseStateCannotBeRead_IsNotRecorded()
    {
        var store = new FaultyStore { ReadFailure = new ConsentStoreException("down") };
        using var kit = new ConsentKitFixture(store: store);

        var act = async () => await kit.GrantAsync("alice", Child);

        (await act.Should().ThrowAsync<ConsentStoreException>()).Which.Message.Should().Contain("nothing was recorded");
        store.ReadFailure = null;
        (await kit.Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken)).Should().BeEmpty();
    }
}

public sealed class AllAtOnceTests
{
    [Fact]
    public async Task WithdrawAll_WithdrawsEveryGrant_InOneAppend_AsThePersonsAct()
    {
        var store = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: store);
        await kit.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining);
        await kit.GrantAsync("alice", ConsentPurposes.Analytics);
        await kit.RefuseAsync("alice", ConsentPurposes.Marketing);
        var appends = store.Appends;

        var records = await kit.Recorder.WithdrawAllAsync("alice", ConsentEvidence.FromUserInterface(null, "settings-page"), TestContext.Current.CancellationToken);

        records.Select(r => r.PurposeId).Should().BeEquivalentTo([ConsentPurposes.GenerativeAiTraining, ConsentPurposes.Analytics]);
        records.Should().OnlyContain(r => r.Status == ConsentStatus.Withdrawn && r.Method == ConsentMethod.SubjectUserInterface);
        store.Appends.Should().Be(appends + 2);
        (await kit.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining)).Reason.Should().Be(ConsentDecisionReason.Withdrawn);
        (await kit.CheckAsync("alice", ConsentPurposes.Analytics)).Reason.Should().Be(ConsentDecisionReason.Withdrawn);
    }

    [Fact]
    public async Task RefuseAll_RefusesTheUnchosen_WithdrawsTheGranted_AndLeavesChoicesAlone()
    {
        using var kit = new ConsentKitFixture();
        await kit.GrantAsync("alice", ConsentPurposes.Analytics);
        await kit.GrantAsync("alice", ConsentPurposes.Marketing);
        await kit.WithdrawAsync("alice", ConsentPurposes.Marketing);

        var records = await kit.Recorder.RefuseAllAsync("alice", ConsentEvidence.FromUserInterface(null, "banner"), TestContext.Current.CancellationToken);

        records.Single(r => r.PurposeId == ConsentPurposes.Analytics).Status.Should().Be(ConsentStatus.Withdrawn);
        records.Should().NotContain(r => r.PurposeId == ConsentPurposes.Marketing);
        records.Where(r => r.PurposeId != ConsentPurposes.Analytics).Should().OnlyContain(r => r.Status == ConsentStatus.Refused);
        records.Should().HaveCount(ConsentPurposes.Standard.Count - 1);
    }

    [Fact]
    public async Task WithdrawAll_IsAllOrNone()
    {
        var inner = new InMemoryConsentStore();
        using var kit = new ConsentKitFixture(store: inner);
        await kit.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining);
        await kit.GrantAsync("alice", ConsentPurposes.Analytics);
        inner.AppendFault = r => r.PurposeId == ConsentPurposes.Analytics ? new ConsentStoreException("disk full") : null;

        var act = async () => await kit.Recorder.WithdrawAllAsync("alice", ConsentEvidence.FromUserInterface(null, "settings-page"));

        await act.Should().ThrowAsync<ConsentStoreException>();
        (await kit.Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken)).Should().HaveCount(2);
        (await kit.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining)).IsAllowed.Should().BeTrue();
    }
}
