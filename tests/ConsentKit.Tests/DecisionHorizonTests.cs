using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

/// <summary>
/// The cases issue #21 reproduced: a decision holds only until its horizon (a lifetime expiry counts as much
/// as a recorded one), and a withdrawn or refused parent closes every grant below it, valid or not.
/// </summary>
public sealed class DecisionHorizonTests
{
    private const string P = "p";
    private const string Child = "p.c";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Action<IConsentKitBuilder> Purposes(TimeSpan? lifetime, string notice = "1") => b => b
        .AddPurpose(P, "P", "Parent purpose.", notice, lifetime)
        .AddPurpose(Child, "C", "Child purpose.", "1");

    private sealed record Post(string Author);

    [Fact]
    public async Task AKeptSnapshot_DropsAGrantWhoseLifetimeEnds_EvenWhenTheRecordCarriesNoExpiry()
    {
        using var kit = new ConsentKitFixture(Purposes(TimeSpan.FromDays(1)));

        // An imported grant without ExpiresAt: only the purpose's lifetime ends it.
        await kit.Store.AppendAsync(new NewConsentRecord("alice", P, ConsentStatus.Granted, "1", kit.Time.GetUtcNow(), null, ConsentMethod.SubjectUserInterface), Ct);
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(P);
        Post[] posts = [new("alice"), new("bob")];

        (await filter.Filter(posts, p => p.Author, P, new() { KeptSnapshot = kept }).ToListAsync(Ct)).Should().ContainSingle();

        kit.Time.Advance(TimeSpan.FromDays(2));
        var later = filter.Filter(posts, p => p.Author, P, new() { KeptSnapshot = kept });

        (await later.ToListAsync(Ct)).Should().BeEmpty("the grant's lifetime ended between the runs");
        later.Report.LeftOutByReason.Should().ContainKey(ConsentDecisionReason.Expired);
        (await kit.CheckAsync("alice", P)).Reason.Should().Be(ConsentDecisionReason.Expired);
    }

    [Fact]
    public async Task AChildGrantBlockedByAnExpiredParent_IsClosedByTheParentsWithdrawal_AndDoesNotComeBack()
    {
        using var kit = new ConsentKitFixture(Purposes(TimeSpan.FromDays(1)));
        await kit.GrantAsync("alice", P);
        await kit.GrantAsync("alice", Child);
        kit.Time.Advance(TimeSpan.FromDays(2));
        (await kit.CheckAsync("alice", Child)).Reason.Should().Be(ConsentDecisionReason.Expired, "the parent's lifetime ended");

        await kit.WithdrawAsync("alice", P);
        await kit.GrantAsync("alice", P);

        var child = await kit.CheckAsync("alice", Child);
        child.IsAllowed.Should().BeFalse("turning the parent back on revives nothing");
        child.Reason.Should().Be(ConsentDecisionReason.Withdrawn);
        child.Record!.PurposeId.Should().Be(Child);
        child.Record.Metadata.Should().Contain("cascaded-from", P);
    }

    [Fact]
    public async Task AnImportedChildGrantUnderARefusedParent_IsClosedByTheNextRefusal()
    {
        using var kit = new ConsentKitFixture(Purposes(null));
        await kit.RefuseAsync("alice", P);
        await kit.Store.AppendAsync(new NewConsentRecord("alice", Child, ConsentStatus.Granted, "1", kit.Time.GetUtcNow(), null, ConsentMethod.SubjectApiCall), Ct);
        kit.Provider.GetRequiredService<IConsentCacheInvalidator>().Invalidate("alice");
        (await kit.CheckAsync("alice", Child)).Reason.Should().Be(ConsentDecisionReason.Refused);

        await kit.RefuseAsync("alice", P);
        await kit.GrantAsync("alice", P);

        (await kit.CheckAsync("alice", Child)).Reason.Should().Be(ConsentDecisionReason.Refused, "the refusal closed the child's grant too");
    }

    [Fact]
    public async Task ACachedDenial_TakesItsNewReasonAtTheGrantsExpiry()
    {
        var store = new InMemoryConsentStore();
        using (var before = new ConsentKitFixture(Purposes(TimeSpan.FromDays(1)), store))
        {
            await before.GrantAsync("alice", P);
        }

        // The notice moved on: the grant is outdated now and expired tomorrow, and the cache trusts entries long.
        using var kit = new ConsentKitFixture(Purposes(TimeSpan.FromDays(1), notice: "2"), store, o => o.CacheMaxStaleness = TimeSpan.FromDays(30));
        (await kit.CheckAsync("alice", P)).Reason.Should().Be(ConsentDecisionReason.NoticeOutdated);

        kit.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        (await kit.CheckAsync("alice", P)).Reason.Should().Be(ConsentDecisionReason.Expired);
    }

    [Fact]
    public async Task ALifetimeShortenedAfterTheGrant_StillApplies()
    {
        var store = new InMemoryConsentStore();
        ConsentRecord grant;
        using (var before = new ConsentKitFixture(Purposes(TimeSpan.FromDays(30)), store))
        {
            grant = await before.GrantAsync("alice", P);
        }

        grant.ExpiresAt.Should().Be(ConsentKitFixture.Start.AddDays(30));
        using var kit = new ConsentKitFixture(Purposes(TimeSpan.FromDays(1)), store);
        kit.Time.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(5));
        (await kit.CheckAsync("alice", P)).IsAllowed.Should().BeTrue("a day has not passed yet");

        kit.Time.Advance(TimeSpan.FromSeconds(10));

        var decision = await kit.CheckAsync("alice", P);
        decision.Reason.Should().Be(ConsentDecisionReason.Expired, "the shorter lifetime ends the grant before its recorded expiry");
        decision.Record.Should().Be(grant);
        kit.Provider.GetRequiredService<ConsentPurposeCatalog>().ExpiryOf(grant).Should().Be(ConsentKitFixture.Start.AddDays(1), "what a settings page shows as the end is the rule's");
    }
}

/// <summary>Counter-examples the model-based tests found, kept as named regressions.</summary>
public sealed class ModelCounterExampleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AKeptSnapshot_ReadsAgain_WhenASubjectIsErased_ThroughARecordOfAnotherPurpose()
    {
        // Seed 1Lz2drNlOgW1: bob had withdrawn generative-AI training earlier; his erasure wrote
        // only a withdrawal of another purpose, which the kept snapshot's purpose filter skipped, so it kept
        // saying "withdrawn" for an id that no longer names anyone (the gate: no record).
        using var kit = new ConsentKitFixture();
        await kit.WithdrawAsync("bob");
        await kit.GrantAsync("bob", ConsentPurposes.Analytics);
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
        var first = filter.Filter(new[] { "bob" }, id => id, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept });
        await first.ToListAsync(Ct);
        first.Report.LeftOutByReason.Should().ContainKey(ConsentDecisionReason.Withdrawn);

        await kit.Recorder.EraseSubjectAsync("bob", ConsentEvidence.FromUserInterface(null, "settings-page"), Ct);
        var later = filter.Filter(new[] { "bob" }, id => id, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept });
        await later.ToListAsync(Ct);

        later.Report.LeftOutByReason.Should().ContainKey(ConsentDecisionReason.NoRecord).And.NotContainKey(ConsentDecisionReason.Withdrawn);
        (await kit.CheckAsync("bob")).Reason.Should().Be(ConsentDecisionReason.NoRecord);
    }

    [Fact]
    public async Task AKeptSnapshot_StillDenies_ASubjectErasedWithNothingGranted()
    {
        // Seed azM2PQgqTol1: erasing someone with nothing granted writes no record, so a kept snapshot cannot
        // see it and keeps the last denial's reason ("withdrawn" where the gate now says "no record"). Known and
        // accepted: it must still deny, which this holds it to.
        using var kit = new ConsentKitFixture();
        await kit.GrantAsync("bob");
        await kit.WithdrawAsync("bob");
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(ConsentPurposes.GenerativeAiTraining);
        await filter.Filter(new[] { "bob" }, id => id, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept }).ToListAsync(Ct);

        await kit.Recorder.EraseSubjectAsync("bob", ConsentEvidence.FromUserInterface(null, "settings-page"), Ct);
        var later = filter.Filter(new[] { "bob" }, id => id, ConsentPurposes.GenerativeAiTraining, new() { KeptSnapshot = kept });

        (await later.ToListAsync(Ct)).Should().BeEmpty();
        later.Report.LeftOutByReason.Should().ContainKey(ConsentDecisionReason.Withdrawn, "the kept snapshot saw no change");
        (await kit.CheckAsync("bob")).Reason.Should().Be(ConsentDecisionReason.NoRecord);
    }
}
