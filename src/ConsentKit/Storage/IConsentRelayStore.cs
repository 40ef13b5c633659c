namespace ConsentKit.Storage;

/// <summary>
/// Keeps the state of the consent relay (ConsentKit.Relay) in the consent database, so delivery survives a crash and
/// only one instance relays a subscription at a time: each subscription's position in the change feed, its lease,
/// its last error and its dead letters. Implemented by the consent stores. This is working state, not history: it
/// is updated in place, and the consent records it points at never are.
/// </summary>
/// <remarks>
/// Every write by a relay names its <c>holder</c> and succeeds only while that holder's lease is unexpired at the
/// given time: an instance that lost its lease (it paused past the lease, another took over) cannot move the
/// position or add letters behind the new holder's back.
/// </remarks>
public interface IConsentRelayStore
{
    /// <summary>
    /// Takes or renews <paramref name="subscription"/>'s lease for <paramref name="holder"/> until <paramref name="until"/>,
    /// creating the subscription at position 0 the first time. Succeeds when no one holds it, the holder already
    /// does, or the other holder's lease ended before <paramref name="now"/>.
    /// </summary>
    /// <param name="subscription">The subscription's name.</param>
    /// <param name="holder">This relay instance.</param>
    /// <param name="now">The time the lease is judged at.</param>
    /// <param name="until">When the lease ends unless renewed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription's state when the holder now holds it; <see langword="null"/> when another does.</returns>
    ValueTask<RelaySubscriptionState?> TryLeaseAsync(string subscription, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>Moves the position forward to <paramref name="position"/> after a delivery, clearing the last error.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="holder">The lease holder.</param>
    /// <param name="position">The last sequence delivered (or skipped by the filter).</param>
    /// <param name="now">The time; the lease must be unexpired at it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether it moved: <see langword="false"/> when the lease was lost.</returns>
    ValueTask<bool> AdvanceAsync(string subscription, string holder, long position, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Records a failed attempt's error (shown by status) without moving the position.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="holder">The lease holder.</param>
    /// <param name="error">What failed.</param>
    /// <param name="now">The time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether it was recorded: <see langword="false"/> when the lease was lost.</returns>
    ValueTask<bool> RecordErrorAsync(string subscription, string holder, string error, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a dead letter for a change that could not be delivered and, in the same transaction, moves the position to
    /// it (a letter already there for that sequence is kept as it was).
    /// </summary>
    /// <param name="letter">The letter.</param>
    /// <param name="holder">The lease holder.</param>
    /// <param name="now">The time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether it was added: <see langword="false"/> when the lease was lost.</returns>
    ValueTask<bool> AddDeadLetterAsync(RelayDeadLetter letter, string holder, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Removes a dead letter once it was delivered on replay.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="sequence">The letter's sequence.</param>
    /// <param name="holder">The lease holder.</param>
    /// <param name="now">The time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether it was removed: <see langword="false"/> when the lease was lost.</returns>
    ValueTask<bool> RemoveDeadLetterAsync(string subscription, long sequence, string holder, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Asks the relay to deliver a subscription's dead letters again (all of them, oldest first).</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many letters will be replayed.</returns>
    ValueTask<int> RequestReplayAsync(string subscription, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets a subscription's position back (or forward) so the relay delivers again from after <paramref name="position"/>,
    /// and ends its lease: a delivery in flight cannot then move the position past the new one, and the relay starts
    /// again from it.
    /// </summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="position">The new position: changes after it are delivered next.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the subscription exists.</returns>
    ValueTask<bool> MoveAsync(string subscription, long position, CancellationToken cancellationToken = default);

    /// <summary>Every subscription's state, by name.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<RelaySubscriptionState>> GetSubscriptionsAsync(CancellationToken cancellationToken = default);

    /// <summary>A subscription's dead letters, oldest first.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<RelayDeadLetter>> GetDeadLettersAsync(string subscription, CancellationToken cancellationToken = default);
}

/// <summary>Where a relay subscription stands.</summary>
public sealed record RelaySubscriptionState
{
    /// <summary>The subscription's name.</summary>
    public required string Name { get; init; }

    /// <summary>The last sequence delivered, dead-lettered or skipped; changes after it come next.</summary>
    public required long Position { get; init; }

    /// <summary>The instance relaying it, if any.</summary>
    public string? LeaseHolder { get; init; }

    /// <summary>When that instance's lease ends unless renewed.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>The last delivery error since the last success, if any.</summary>
    public string? LastError { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>When the position last moved.</summary>
    public DateTimeOffset? AdvancedAt { get; init; }

    /// <summary>How many dead letters wait.</summary>
    public int DeadLetters { get; init; }

    /// <summary>Whether an operator asked for the dead letters to be replayed and the relay has not yet.</summary>
    public bool ReplayRequested { get; init; }
}

/// <summary>
/// A change a subscription could not deliver: the record is in the history, the letter says which and why. It holds
/// no subject id (erasure must not leave one behind): the relay reads the record to hold that person's later changes
/// behind it, so each person's changes arrive in order.
/// </summary>
public sealed record RelayDeadLetter
{
    /// <summary>The subscription.</summary>
    public required string Subscription { get; init; }

    /// <summary>The record's sequence.</summary>
    public required long Sequence { get; init; }

    /// <summary>The last error.</summary>
    public required string Error { get; init; }

    /// <summary>How many attempts were made.</summary>
    public required int Attempts { get; init; }

    /// <summary>When it was dead-lettered.</summary>
    public required DateTimeOffset DeadLetteredAt { get; init; }
}
