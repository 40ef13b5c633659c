using ConsentKit.Storage;
using Xunit;

namespace ConsentKit.Testing;

/// <summary>
/// The behaviour every <see cref="IConsentRelayStore"/> must have: one lease holder at a time, writes fenced by the
/// lease, dead letters kept with the position moved past them. Derive a test class in your store's test project and
/// return a store that implements both <see cref="IConsentStore"/> and <see cref="IConsentRelayStore"/>.
/// </summary>
public abstract class RelayStoreConformanceTests : StoreTestBase
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>The store's relay state.</summary>
    protected IConsentRelayStore Relay => Store as IConsentRelayStore
        ?? throw new InvalidOperationException($"{Store.GetType().Name} does not implement IConsentRelayStore.");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The first lease creates the subscription at position 0; a second holder is turned away until the lease ends.</summary>
    [Fact]
    public async Task OneHolderAtATime_UntilTheLeaseEnds()
    {
        var name = S("hooks");
        var first = await Relay.TryLeaseAsync(name, "a", T0, T0 + Lease, Ct);

        Assert.NotNull(first);
        Assert.Equal(0, first.Position);
        Assert.Equal("a", first.LeaseHolder);
        Assert.Null(await Relay.TryLeaseAsync(name, "b", T0 + Lease - TimeSpan.FromSeconds(1), T0 + Lease + Lease, Ct));
        Assert.NotNull(await Relay.TryLeaseAsync(name, "a", T0 + TimeSpan.FromSeconds(10), T0 + Lease + Lease, Ct));
        var takenOver = await Relay.TryLeaseAsync(name, "b", T0 + Lease + Lease, T0 + (3 * Lease), Ct);
        Assert.NotNull(takenOver);
        Assert.Equal("b", takenOver.LeaseHolder);
    }

    /// <summary>Only the holder, within its lease, moves the position; it never moves back; a delivery clears the last error.</summary>
    [Fact]
    public async Task Advance_IsFencedByTheLease_AndOnlyMovesForward()
    {
        var name = S("hooks");
        await Relay.TryLeaseAsync(name, "a", T0, T0 + Lease, Ct);

        Assert.True(await Relay.RecordErrorAsync(name, "a", "503 from the receiver", T0, Ct));
        Assert.True(await Relay.AdvanceAsync(name, "a", 7, T0, Ct));
        Assert.True(await Relay.AdvanceAsync(name, "a", 5, T0, Ct));
        Assert.False(await Relay.AdvanceAsync(name, "b", 9, T0, Ct));
        Assert.False(await Relay.AdvanceAsync(name, "a", 9, T0 + Lease, Ct));

        var state = Assert.Single((await Relay.GetSubscriptionsAsync(Ct)).Where(s => s.Name == name));
        Assert.Equal(7, state.Position);
        Assert.Null(state.LastError);
        Assert.Equal(T0, state.AdvancedAt);
    }

    /// <summary>An error is kept, cut to its limit, without moving the position.</summary>
    [Fact]
    public async Task RecordError_KeepsTheLastError()
    {
        var name = S("hooks");
        await Relay.TryLeaseAsync(name, "a", T0, T0 + Lease, Ct);

        Assert.True(await Relay.RecordErrorAsync(name, "a", new string('x', 5000), T0, Ct));

        var state = Assert.Single((await Relay.GetSubscriptionsAsync(Ct)).Where(s => s.Name == name));
        Assert.Equal(RelayStoreRules.LongestError, state.LastError!.Length);
        Assert.Equal(T0, state.LastErrorAt);
        Assert.Equal(0, state.Position);
    }

    /// <summary>A dead letter moves the position past it; replay is requested, and removing the last letter ends the request.</summary>
    [Fact]
    public async Task DeadLetters_AreKeptInOrder_AndReplayedOnRequest()
    {
        var name = S("hooks");
        await Relay.TryLeaseAsync(name, "a", T0, T0 + Lease, Ct);

        Assert.True(await Relay.AddDeadLetterAsync(Letter(name, 12), "a", T0, Ct));
        Assert.True(await Relay.AddDeadLetterAsync(Letter(name, 4), "a", T0, Ct));
        Assert.True(await Relay.AddDeadLetterAsync(Letter(name, 12) with { Error = "again" }, "a", T0, Ct));
        Assert.False(await Relay.AddDeadLetterAsync(Letter(name, 20), "b", T0, Ct));

        var letters = await Relay.GetDeadLettersAsync(name, Ct);
        Assert.Equal([4L, 12L], letters.Select(l => l.Sequence));
        Assert.Equal("receiver answered 500", letters[1].Error);
        Assert.Equal(12, Assert.Single((await Relay.GetSubscriptionsAsync(Ct)).Where(s => s.Name == name)).Position);

        Assert.Equal(2, await Relay.RequestReplayAsync(name, Ct));
        Assert.True(Assert.Single((await Relay.GetSubscriptionsAsync(Ct)).Where(s => s.Name == name)).ReplayRequested);
        Assert.True(await Relay.RemoveDeadLetterAsync(name, 4, "a", T0, Ct));
        Assert.True(Assert.Single((await Relay.GetSubscriptionsAsync(Ct)).Where(s => s.Name == name)).ReplayRequested);
        Assert.True(await Relay.RemoveDeadLetterAsync(name, 12, "a", T0, Ct));

        var state = Assert.Single((await Relay.GetSubscriptionsAsync(Ct)).Where(s => s.Name == name));
        Assert.False(state.ReplayRequested);
        Assert.Equal(0, state.DeadLetters);
        Assert.Equal(0, await Relay.RequestReplayAsync(name, Ct));
    }

    /// <summary>
    /// Move sets the position anywhere (replay from a sequence) and ends the lease, so a delivery in flight cannot undo
    /// it; an unknown subscription is reported, not created.
    /// </summary>
    [Fact]
    public async Task Move_SetsThePosition_ForAKnownSubscriptionOnly()
    {
        var name = S("hooks");
        await Relay.TryLeaseAsync(name, "a", T0, T0 + Lease, Ct);
        await Relay.AdvanceAsync(name, "a", 30, T0, Ct);

        Assert.True(await Relay.MoveAsync(name, 10, Ct));
        Assert.False(await Relay.MoveAsync(S("nobody"), 10, Ct));
        Assert.False(await Relay.AdvanceAsync(name, "a", 30, T0, Ct));

        Assert.Equal(10, Assert.Single((await Relay.GetSubscriptionsAsync(Ct)).Where(s => s.Name == name)).Position);
        Assert.DoesNotContain(await Relay.GetSubscriptionsAsync(Ct), s => s.Name == S("nobody"));
    }

    /// <summary>A bad name is refused naming the argument, and nothing is created.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("Hooks")]
    [InlineData("-hooks")]
    [InlineData("hooks/partner")]
    public async Task ABadName_IsRefused_AndNothingIsWritten(string name)
    {
        var error = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Relay.TryLeaseAsync(name, "a", T0, T0 + Lease, Ct));

        Assert.Equal("subscription", error.ParamName);
        Assert.DoesNotContain(await Relay.GetSubscriptionsAsync(Ct), s => s.Name == name);
    }

    private static RelayDeadLetter Letter(string subscription, long sequence) =>
        new() { Subscription = subscription, Sequence = sequence, Error = "receiver answered 500", Attempts = 6, DeadLetteredAt = T0 };
}
