using Microsoft.Extensions.DependencyInjection;
using FluentAssertions;

namespace ConsentKit.Tests;

/// <summary>One test per row of the gate's decision table.</summary>
public sealed class GateDecisionTests : IDisposable
{
    private readonly InMemoryConsentStore _store = new();
    private readonly ConsentKitFixture _kit;

    public GateDecisionTests()
    {
        _kit = new ConsentKitFixture(Hierarchy, _store);
    }

    private static void Hierarchy(IConsentKitBuilder builder) => builder
        .AddPurpose("research", "Research", "Use my data for research.", "1", lifetime: TimeSpan.FromDays(30))
        .AddPurpose("research.medical", "Medical research", "Use my data for medical research.", "1")
        .AddPurpose("ai-training.fine-tuning", "Fine-tuning", "Fine-tune models on my data.", "1", coveredByParent: true)
        .AddPurpose("newsletter", "Newsletter", "Send me the newsletter.", "1", lifetime: TimeSpan.FromDays(365));

    [Fact]
    public async Task NoRecord_Denies()
    {
        var decision = await _kit.CheckAsync("alice");

        decision.IsAllowed.Should().BeFalse();
        decision.Reason.Should().Be(ConsentDecisionReason.NoRecord);
        decision.Record.Should().BeNull();
        decision.PurposeId.Should().Be(ConsentPurposes.GenerativeAiTraining);
    }

    [Fact]
    public async Task NoRecord_DeniesEveryStandardPurpose()
    {
        foreach (var purpose in ConsentPurposes.Standard)
        {
            (await _kit.CheckAsync("alice", purpose.Id)).Reason.Should().Be(ConsentDecisionReason.NoRecord, purpose.Id);
        }
    }

    [Fact]
    public async Task ExplicitGrant_Allows_WithTheGrantAsEvidence()
    {
        var grant = await _kit.GrantAsync("alice");

        var decision = await _kit.CheckAsync("alice");

        decision.IsAllowed.Should().BeTrue();
        decision.Reason.Should().Be(ConsentDecisionReason.Granted);
        decision.Record.Should().BeSameAs(grant);
    }

    [Fact]
    public async Task Refused_Denies()
    {
        var refusal = await _kit.RefuseAsync("alice");

        var decision = await _kit.CheckAsync("alice");

        decision.Reason.Should().Be(ConsentDecisionReason.Refused);
        decision.IsAllowed.Should().BeFalse();
        decision.Record.Should().BeSameAs(refusal);
    }

    [Fact]
    public async Task Withdrawn_AfterGrant_Denies()
    {
        await _kit.GrantAsync("alice");
        var withdrawal = await _kit.WithdrawAsync("alice");

        var decision = await _kit.CheckAsync("alice");

        decision.Reason.Should().Be(ConsentDecisionReason.Withdrawn);
        decision.Record.Should().BeSameAs(withdrawal);
    }

    [Fact]
    public async Task GrantAfterWithdrawal_AllowsAgain()
    {
        await _kit.GrantAsync("alice");
        await _kit.WithdrawAsync("alice");
        var regrant = await _kit.GrantAsync("alice");

        (await _kit.CheckAsync("alice")).Record.Should().BeSameAs(regrant);
    }

    [Fact]
    public async Task GrantPastItsLifetime_DeniesAsExpired()
    {
        var grant = await _kit.GrantAsync("alice", "newsletter");
        grant.ExpiresAt.Should().Be(ConsentKitFixture.Start.AddDays(365));
        (await _kit.CheckAsync("alice", "newsletter")).IsAllowed.Should().BeTrue("the grant is fresh");

        _kit.Time.Advance(TimeSpan.FromDays(365));

        var decision = await _kit.CheckAsync("alice", "newsletter");
        decision.Reason.Should().Be(ConsentDecisionReason.Expired);
        decision.Record.Should().BeSameAs(grant);
    }

    [Fact]
    public async Task GrantJustBeforeExpiry_StillAllows()
    {
        await _kit.GrantAsync("alice", "newsletter");
        (await _kit.CheckAsync("alice", "newsletter")).IsAllowed.Should().BeTrue();

        _kit.Time.Advance(TimeSpan.FromDays(365) - TimeSpan.FromMilliseconds(1));

        (await _kit.CheckAsync("alice", "newsletter")).IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task GrantUnderOlderNotice_DeniesAsNoticeOutdated()
    {
        var grant = await _kit.GrantAsync("alice");
        using var updated = new ConsentKitFixture(
            b => b.Services.PostConfigure<ConsentKitOptions>(o => ReplaceNotice(o, ConsentPurposes.GenerativeAiTraining, "2")),
            _store);

        var decision = await updated.CheckAsync("alice");

        decision.Reason.Should().Be(ConsentDecisionReason.NoticeOutdated);
        decision.Record.Should().BeSameAs(grant);
    }

    [Fact]
    public async Task UnregisteredPurpose_DeniesWithoutAskingTheStore()
    {
        var counting = new CountingStore(new InMemoryConsentStore());
        using var kit = new ConsentKitFixture(store: counting);

        var decision = await kit.CheckAsync("alice", "biometrics");

        decision.Reason.Should().Be(ConsentDecisionReason.UnknownPurpose);
        decision.IsAllowed.Should().BeFalse();
        counting.CurrentReads.Should().Be(0);
    }

    [Theory]
    [InlineData(ConsentStatus.Refused, ConsentDecisionReason.Refused)]
    [InlineData(ConsentStatus.Withdrawn, ConsentDecisionReason.Withdrawn)]
    public async Task ParentRefusedOrWithdrawn_DeniesChildEvenWhenChildWasGranted(ConsentStatus parentStatus, ConsentDecisionReason expected)
    {
        await _kit.GrantAsync("alice", ConsentPurposes.AiTraining);
        await _kit.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining);
        var parentRecord = parentStatus == ConsentStatus.Refused
            ? await _kit.RefuseAsync("alice", ConsentPurposes.AiTraining)
            : await _kit.WithdrawAsync("alice", ConsentPurposes.AiTraining);

        var decision = await _kit.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining);

        decision.Reason.Should().Be(expected);
        decision.Record.Should().BeSameAs(parentRecord);
    }

    [Fact]
    public async Task ParentExpired_DeniesChild()
    {
        var parent = await _kit.GrantAsync("alice", "research");
        await _kit.GrantAsync("alice", "research.medical");
        (await _kit.CheckAsync("alice", "research.medical")).IsAllowed.Should().BeTrue();

        _kit.Time.Advance(TimeSpan.FromDays(31));

        var decision = await _kit.CheckAsync("alice", "research.medical");
        decision.Reason.Should().Be(ConsentDecisionReason.Expired);
        decision.Record.Should().BeSameAs(parent);
    }

    [Fact]
    public async Task ParentGranted_ChildWithoutRecord_Denies()
    {
        await _kit.GrantAsync("alice", ConsentPurposes.AiTraining);

        (await _kit.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining)).Reason.Should().Be(ConsentDecisionReason.NoRecord);
    }

    [Fact]
    public async Task ParentGranted_ChildCoveredByParent_AllowsWithParentGrant()
    {
        var parent = await _kit.GrantAsync("alice", ConsentPurposes.AiTraining);

        var decision = await _kit.CheckAsync("alice", "ai-training.fine-tuning");

        decision.IsAllowed.Should().BeTrue();
        decision.Record.Should().BeSameAs(parent);
    }

    [Fact]
    public async Task ChildCoveredByParent_OwnRefusalStillWins()
    {
        await _kit.GrantAsync("alice", ConsentPurposes.AiTraining);
        await _kit.RefuseAsync("alice", "ai-training.fine-tuning");

        (await _kit.CheckAsync("alice", "ai-training.fine-tuning")).Reason.Should().Be(ConsentDecisionReason.Refused);
    }

    [Fact]
    public async Task ChildGranted_ParentNot_AllowsChildOnly()
    {
        await _kit.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining);

        (await _kit.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining)).IsAllowed.Should().BeTrue();
        (await _kit.CheckAsync("alice", ConsentPurposes.AiTraining)).Reason.Should().Be(ConsentDecisionReason.NoRecord);
    }

    [Fact]
    public async Task OneSubjectsGrant_DoesNotAllowAnother()
    {
        await _kit.GrantAsync("alice");

        (await _kit.CheckAsync("bob")).IsAllowed.Should().BeFalse();
        (await _kit.CheckAsync("Alice")).IsAllowed.Should().BeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a\u0000b")]
    public async Task MalformedSubjectId_Denies(string subjectId)
    {
        (await _kit.CheckAsync(subjectId)).Reason.Should().Be(ConsentDecisionReason.NoRecord);
    }

    [Fact]
    public void DefaultDecision_Denies()
    {
        default(ConsentDecision).IsAllowed.Should().BeFalse();
    }

    [Fact]
    public void Allow_WithARecordThatIsNotAGrant_Throws()
    {
        var refusal = new ConsentRecord(1, new NewConsentRecord("alice", "analytics", ConsentStatus.Refused, "1", ConsentKitFixture.Start, null, ConsentMethod.Operator));

        var act = () => ConsentDecision.Allow("analytics", refusal);

        act.Should().Throw<ArgumentException>();
    }

    private static void ReplaceNotice(ConsentKitOptions options, string purposeId, string version)
    {
        var index = options.Purposes.ToList().FindIndex(p => p.Id == purposeId);
        var old = options.Purposes[index];
        options.Purposes[index] = new ConsentPurpose(old.Id, old.DisplayName, old.Description, version);
    }

    public void Dispose() => _kit.Dispose();
}
