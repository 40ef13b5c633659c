using ConsentKit.Storage;
using Microsoft.Extensions.Options;

namespace ConsentKit.Relay;

/// <summary>The relay as an operator sees it: where each subscription stands, its dead letters, replay and rewind.</summary>
public interface IConsentRelay
{
    /// <summary>Every subscription: its position, how far behind the newest change it is, its lease, last error and dead letters.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentRelayStatus>> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>A subscription's dead letters, oldest first.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">No such subscription (<c>subscription</c>).</exception>
    ValueTask<IReadOnlyList<RelayDeadLetter>> GetDeadLettersAsync(string subscription, CancellationToken cancellationToken = default);

    /// <summary>Asks the relay to deliver the subscription's dead letters again, oldest first.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many letters will be replayed.</returns>
    /// <exception cref="ArgumentException">No such subscription (<c>subscription</c>).</exception>
    ValueTask<int> ReplayAsync(string subscription, CancellationToken cancellationToken = default);

    /// <summary>Delivers the subscription's changes again from after <paramref name="afterSequence"/> (receivers drop what they have by id).</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="afterSequence">Changes after this sequence come next.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">No such subscription, or a negative sequence (named).</exception>
    ValueTask RewindAsync(string subscription, long afterSequence, CancellationToken cancellationToken = default);
}

/// <summary>Where one subscription stands.</summary>
public sealed record ConsentRelayStatus
{
    /// <summary>The subscription.</summary>
    public required string Name { get; init; }

    /// <summary>The last sequence delivered, dead-lettered or skipped.</summary>
    public required long Position { get; init; }

    /// <summary>The newest sequence in the store.</summary>
    public required long NewestSequence { get; init; }

    /// <summary>Changes after the position: still to be looked at (some may be filtered out).</summary>
    public long Behind => Math.Max(0, NewestSequence - Position);

    /// <summary>The instance relaying it, while its lease holds.</summary>
    public string? ActiveInstance { get; init; }

    /// <summary>The last delivery error since the last delivery.</summary>
    public string? LastError { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>How many dead letters wait.</summary>
    public int DeadLetters { get; init; }

    /// <summary>Whether a replay was asked for and has not run yet.</summary>
    public bool ReplayRequested { get; init; }
}

/// <summary>The default <see cref="IConsentRelay"/>, over the store's relay state.</summary>
internal sealed class ConsentRelay(IConsentRelayStore relay, IConsentStore store, IOptions<ConsentRelayOptions> options, IEnumerable<ConsentRelaySubscription> coded, TimeProvider time) : IConsentRelay
{
    public async ValueTask<IReadOnlyList<ConsentRelayStatus>> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var newest = await store.GetLastSequenceAsync(cancellationToken);
        var known = (await relay.GetSubscriptionsAsync(cancellationToken)).ToDictionary(s => s.Name, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        return [.. Names().Select(name => known.TryGetValue(name, out var s)
            ? new ConsentRelayStatus
            {
                Name = name,
                Position = s.Position,
                NewestSequence = newest,
                ActiveInstance = s.LeaseExpiresAt > now ? s.LeaseHolder : null,
                LastError = s.LastError,
                LastErrorAt = s.LastErrorAt,
                DeadLetters = s.DeadLetters,
                ReplayRequested = s.ReplayRequested,
            }
            : new ConsentRelayStatus { Name = name, Position = 0, NewestSequence = newest })];
    }

    public async ValueTask<IReadOnlyList<RelayDeadLetter>> GetDeadLettersAsync(string subscription, CancellationToken cancellationToken = default)
    {
        Known(subscription);
        return await relay.GetDeadLettersAsync(subscription, cancellationToken);
    }

    public async ValueTask<int> ReplayAsync(string subscription, CancellationToken cancellationToken = default)
    {
        Known(subscription);
        return await relay.RequestReplayAsync(subscription, cancellationToken);
    }

    public async ValueTask RewindAsync(string subscription, long afterSequence, CancellationToken cancellationToken = default)
    {
        Known(subscription);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        if (!await relay.MoveAsync(subscription, afterSequence, cancellationToken))
        {
            throw new ArgumentException($"Subscription '{subscription}' has not run yet: there is nothing to rewind.", nameof(subscription));
        }
    }

    private IEnumerable<string> Names() => coded.Select(c => c.Name).Concat(options.Value.Webhooks.Keys).Order(StringComparer.Ordinal);

    private void Known(string subscription)
    {
        if (!Names().Contains(subscription, StringComparer.Ordinal))
        {
            throw new ArgumentException($"There is no relay subscription '{subscription}'. Subscriptions: {string.Join(", ", Names())}.", nameof(subscription));
        }
    }
}
