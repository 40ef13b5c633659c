using ConsentKit.Storage;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>
/// The relay half of <see cref="SqliteConsentStore"/>: <c>consent_relay_subscriptions</c> and
/// <c>consent_relay_dead_letters</c>, written on the one writer connection like everything else, so a lease check and
/// the write it guards are one transaction.
/// </summary>
public sealed partial class SqliteConsentStore : IConsentRelayStore
{
    private const string StateColumns =
        "s.name, s.position, s.lease_holder, s.lease_expires_at, s.last_error, s.last_error_at, s.advanced_at, s.replay_requested, " +
        "(SELECT count(*) FROM consent_relay_dead_letters d WHERE d.subscription = s.name)";

    /// <inheritdoc />
    public async ValueTask<RelaySubscriptionState?> TryLeaseAsync(string subscription, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        RelayStoreRules.CheckHolder(holder);
        return await WriteAsync(writer =>
        {
            using var transaction = writer.BeginTransaction(deferred: false);
            var taken = Execute(writer, transaction,
                """
                INSERT INTO consent_relay_subscriptions (name, lease_holder, lease_expires_at) VALUES ($name, $holder, $until)
                ON CONFLICT (name) DO UPDATE SET lease_holder = excluded.lease_holder, lease_expires_at = excluded.lease_expires_at
                WHERE lease_holder IS NULL OR lease_holder = excluded.lease_holder OR lease_expires_at <= $now;
                """,
                ("$name", subscription), ("$holder", holder), ("$until", until.UtcTicks), ("$now", now.UtcTicks));
            var state = taken == 0 ? null : ReadStates(writer, transaction, subscription).Single();
            transaction.Commit();
            return state;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> AdvanceAsync(string subscription, string holder, long position, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        FencedAsync(subscription, holder, now,
            "position = max(position, $position), advanced_at = $now, last_error = NULL, last_error_at = NULL", [("$position", position)], null, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> RecordErrorAsync(string subscription, string holder, string error, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        return FencedAsync(subscription, holder, now, "last_error = $error, last_error_at = $now", [("$error", RelayStoreRules.Cut(error))], null, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> AddDeadLetterAsync(RelayDeadLetter letter, string holder, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckLetter(letter);
        return FencedAsync(letter.Subscription, holder, now, "position = max(position, $position), advanced_at = $now", [("$position", letter.Sequence)],
            (writer, transaction) => Execute(writer, transaction,
                """
                INSERT INTO consent_relay_dead_letters (subscription, sequence, error, attempts, dead_lettered_at)
                VALUES ($name, $sequence, $error, $attempts, $at) ON CONFLICT DO NOTHING;
                """,
                ("$name", letter.Subscription), ("$sequence", letter.Sequence), ("$error", RelayStoreRules.Cut(letter.Error)), ("$attempts", letter.Attempts),
                ("$at", letter.DeadLetteredAt.UtcTicks)),
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> RemoveDeadLetterAsync(string subscription, long sequence, string holder, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        FencedAsync(subscription, holder, now,
            "replay_requested = replay_requested AND EXISTS (SELECT 1 FROM consent_relay_dead_letters d WHERE d.subscription = $name AND d.sequence <> $sequence)",
            [("$sequence", sequence)],
            (writer, transaction) => Execute(writer, transaction, "DELETE FROM consent_relay_dead_letters WHERE subscription = $name AND sequence = $sequence;",
                ("$name", subscription), ("$sequence", sequence)),
            cancellationToken);

    /// <inheritdoc />
    public async ValueTask<int> RequestReplayAsync(string subscription, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        return await WriteAsync(writer =>
        {
            using var transaction = writer.BeginTransaction(deferred: false);
            var count = Convert.ToInt32(Scalar(writer, transaction, "SELECT count(*) FROM consent_relay_dead_letters WHERE subscription = $name;", ("$name", subscription)));
            if (count > 0)
            {
                Execute(writer, transaction, "UPDATE consent_relay_subscriptions SET replay_requested = 1 WHERE name = $name;", ("$name", subscription));
            }

            transaction.Commit();
            return count;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<bool> MoveAsync(string subscription, long position, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        return await WriteAsync(
            writer => Execute(writer, null, "UPDATE consent_relay_subscriptions SET position = $position, lease_holder = NULL, lease_expires_at = NULL WHERE name = $name;", ("$name", subscription), ("$position", position)) == 1,
            cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RelaySubscriptionState>> GetSubscriptionsAsync(CancellationToken cancellationToken = default) =>
        await ReadRowsAsync($"SELECT {StateColumns} FROM consent_relay_subscriptions s ORDER BY s.name;", null, ReadState, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RelayDeadLetter>> GetDeadLettersAsync(string subscription, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        return await ReadRowsAsync(
            "SELECT subscription, sequence, error, attempts, dead_lettered_at FROM consent_relay_dead_letters WHERE subscription = $name ORDER BY sequence;",
            command => command.Parameters.AddWithValue("$name", subscription),
            reader => new RelayDeadLetter
            {
                Subscription = reader.GetString(0),
                Sequence = reader.GetInt64(1),
                Error = reader.GetString(2),
                Attempts = reader.GetInt32(3),
                DeadLetteredAt = new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero),
            },
            cancellationToken);
    }

    private async ValueTask<bool> FencedAsync(
        string subscription, string holder, DateTimeOffset now, string set, (string, object)[] values, Action<SqliteConnection, SqliteTransaction>? also, CancellationToken cancellationToken)
    {
        RelayStoreRules.CheckName(subscription);
        RelayStoreRules.CheckHolder(holder);
        return await WriteAsync(writer =>
        {
            using var transaction = writer.BeginTransaction(deferred: false);
            if (also is not null && Scalar(writer, transaction, "SELECT 1 FROM consent_relay_subscriptions WHERE name = $name AND lease_holder = $holder AND lease_expires_at > $now;",
                ("$name", subscription), ("$holder", holder), ("$now", now.UtcTicks)) is null)
            {
                return false;
            }

            also?.Invoke(writer, transaction);
            var changed = Execute(writer, transaction,
                $"UPDATE consent_relay_subscriptions SET {set} WHERE name = $name AND lease_holder = $holder AND lease_expires_at > $now;",
                [("$name", subscription), ("$holder", holder), ("$now", now.UtcTicks), .. values]);
            transaction.Commit();
            return changed == 1;
        }, cancellationToken);
    }

    private static List<RelaySubscriptionState> ReadStates(SqliteConnection connection, SqliteTransaction transaction, string subscription)
    {
        using var command = Command(connection, transaction, $"SELECT {StateColumns} FROM consent_relay_subscriptions s WHERE s.name = $name;", [("$name", subscription)]);
        using var reader = command.ExecuteReader();
        var states = new List<RelaySubscriptionState>();
        while (reader.Read())
        {
            states.Add(ReadState(reader));
        }

        return states;
    }

    private static RelaySubscriptionState ReadState(SqliteDataReader reader) => new()
    {
        Name = reader.GetString(0),
        Position = reader.GetInt64(1),
        LeaseHolder = reader.IsDBNull(2) ? null : reader.GetString(2),
        LeaseExpiresAt = reader.IsDBNull(3) ? null : new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero),
        LastError = reader.IsDBNull(4) ? null : reader.GetString(4),
        LastErrorAt = reader.IsDBNull(5) ? null : new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
        AdvancedAt = reader.IsDBNull(6) ? null : new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero),
        ReplayRequested = reader.GetInt64(7) == 1,
        DeadLetters = reader.GetInt32(8),
    };

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] values)
    {
        using var command = Command(connection, transaction, sql, values);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object Value)[] values)
    {
        using var command = Command(connection, transaction, sql, values);
        return command.ExecuteScalar();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object Value)[] values)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in values)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
