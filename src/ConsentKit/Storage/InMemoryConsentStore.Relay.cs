using ConsentKit.Storage;

namespace ConsentKit;

/// <summary>The relay half of <see cref="InMemoryConsentStore"/>: subscriptions and dead letters, for tests and one process.</summary>
public sealed partial class InMemoryConsentStore : IConsentRelayStore
{
    private readonly Dictionary<string, RelaySubscriptionState> _relay = new(StringComparer.Ordinal);
    private readonly SortedDictionary<(string Subscription, long Sequence), RelayDeadLetter> _deadLetters = [];

    /// <inheritdoc />
    public ValueTask<RelaySubscriptionState?> TryLeaseAsync(string subscription, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        RelayStoreRules.CheckHolder(holder);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var state = _relay.GetValueOrDefault(subscription) ?? new RelaySubscriptionState { Name = subscription, Position = 0 };
            if (state.LeaseHolder is { } other && other != holder && state.LeaseExpiresAt > now)
            {
                return ValueTask.FromResult<RelaySubscriptionState?>(null);
            }

            _relay[subscription] = state = state with { LeaseHolder = holder, LeaseExpiresAt = until };
            return ValueTask.FromResult<RelaySubscriptionState?>(WithLetters(state));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> AdvanceAsync(string subscription, string holder, long position, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Fenced(subscription, holder, now, cancellationToken, s => s with { Position = Math.Max(s.Position, position), AdvancedAt = now, LastError = null, LastErrorAt = null });

    /// <inheritdoc />
    public ValueTask<bool> RecordErrorAsync(string subscription, string holder, string error, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        return Fenced(subscription, holder, now, cancellationToken, s => s with { LastError = RelayStoreRules.Cut(error), LastErrorAt = now });
    }

    /// <inheritdoc />
    public ValueTask<bool> AddDeadLetterAsync(RelayDeadLetter letter, string holder, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckLetter(letter);
        return Fenced(letter.Subscription, holder, now, cancellationToken, s =>
        {
            _deadLetters.TryAdd((letter.Subscription, letter.Sequence), letter with { Error = RelayStoreRules.Cut(letter.Error) });
            return s with { Position = Math.Max(s.Position, letter.Sequence), AdvancedAt = now };
        });
    }

    /// <inheritdoc />
    public ValueTask<bool> RemoveDeadLetterAsync(string subscription, long sequence, string holder, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Fenced(subscription, holder, now, cancellationToken, s =>
        {
            _deadLetters.Remove((subscription, sequence));
            return _deadLetters.Keys.Any(k => k.Subscription == subscription) ? s : s with { ReplayRequested = false };
        });

    /// <inheritdoc />
    public ValueTask<int> RequestReplayAsync(string subscription, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        lock (_lock)
        {
            var count = _deadLetters.Keys.Count(k => k.Subscription == subscription);
            if (count > 0 && _relay.TryGetValue(subscription, out var state))
            {
                _relay[subscription] = state with { ReplayRequested = true };
            }

            return ValueTask.FromResult(count);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> MoveAsync(string subscription, long position, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        lock (_lock)
        {
            if (!_relay.TryGetValue(subscription, out var state))
            {
                return ValueTask.FromResult(false);
            }

            _relay[subscription] = state with { Position = position, LeaseHolder = null, LeaseExpiresAt = null };
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RelaySubscriptionState>> GetSubscriptionsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<RelaySubscriptionState> all = [.. _relay.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(WithLetters)];
            return ValueTask.FromResult(all);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RelayDeadLetter>> GetDeadLettersAsync(string subscription, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        lock (_lock)
        {
            IReadOnlyList<RelayDeadLetter> letters = [.. _deadLetters.Where(l => l.Key.Subscription == subscription).Select(l => l.Value)];
            return ValueTask.FromResult(letters);
        }
    }

    private RelaySubscriptionState WithLetters(RelaySubscriptionState state) =>
        state with { DeadLetters = _deadLetters.Keys.Count(k => k.Subscription == state.Name) };

    private ValueTask<bool> Fenced(string subscription, string holder, DateTimeOffset now, CancellationToken cancellationToken, Func<RelaySubscriptionState, RelaySubscriptionState> change)
    {
        RelayStoreRules.CheckName(subscription);
        RelayStoreRules.CheckHolder(holder);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_relay.TryGetValue(subscription, out var state) || state.LeaseHolder != holder || !(state.LeaseExpiresAt > now))
            {
                return ValueTask.FromResult(false);
            }

            _relay[subscription] = change(state);
            return ValueTask.FromResult(true);
        }
    }
}
