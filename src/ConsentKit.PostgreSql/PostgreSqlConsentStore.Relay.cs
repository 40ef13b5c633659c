using ConsentKit.Storage;
using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary>
/// The relay half of <see cref="PostgreSqlConsentStore"/>: <c>consent_relay_subscriptions</c> and
/// <c>consent_relay_dead_letters</c>. A lease is one conditional upsert, and every relay write checks the lease in
/// the statement (or the transaction) that makes it, so two instances never both move a position.
/// </summary>
public sealed partial class PostgreSqlConsentStore : IConsentRelayStore
{
    private string StateColumns =>
        "s.name, s.position, s.lease_holder, s.lease_expires_at, s.last_error, s.last_error_at, s.advanced_at, s.replay_requested, " +
        $"(SELECT count(*)::int FROM {_schema}.consent_relay_dead_letters d WHERE d.subscription = s.name)";

    /// <inheritdoc />
    public async ValueTask<RelaySubscriptionState?> TryLeaseAsync(string subscription, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        RelayStoreRules.CheckHolder(holder);
        var rows = await QueryAsync(
            $"""
            WITH taken AS (
                INSERT INTO {_schema}.consent_relay_subscriptions AS s (name, lease_holder, lease_expires_at) VALUES ($1, $2, $3)
                ON CONFLICT (name) DO UPDATE SET lease_holder = excluded.lease_holder, lease_expires_at = excluded.lease_expires_at
                WHERE s.lease_holder IS NULL OR s.lease_holder = excluded.lease_holder OR s.lease_expires_at <= $4
                RETURNING s.*)
            SELECT {StateColumns} FROM taken s;
            """,
            c => Bind(c, subscription, holder, until.ToUniversalTime(), now.ToUniversalTime()),
            ReadState,
            cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc />
    public ValueTask<bool> AdvanceAsync(string subscription, string holder, long position, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        FencedAsync(subscription, holder, now, "position = greatest(position, $4), advanced_at = $3, last_error = NULL, last_error_at = NULL", [position], null, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> RecordErrorAsync(string subscription, string holder, string error, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        return FencedAsync(subscription, holder, now, "last_error = $4, last_error_at = $3", [RelayStoreRules.Cut(error)], null, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> AddDeadLetterAsync(RelayDeadLetter letter, string holder, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckLetter(letter);
        return FencedAsync(letter.Subscription, holder, now, "position = greatest(position, $4), advanced_at = $3", [letter.Sequence],
            $"""
            INSERT INTO {_schema}.consent_relay_dead_letters (subscription, sequence, error, attempts, dead_lettered_at)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING;
            """,
            cancellationToken,
            [letter.Subscription, letter.Sequence, RelayStoreRules.Cut(letter.Error), letter.Attempts, letter.DeadLetteredAt.ToUniversalTime()]);
    }

    /// <inheritdoc />
    public ValueTask<bool> RemoveDeadLetterAsync(string subscription, long sequence, string holder, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        FencedAsync(subscription, holder, now,
            $"replay_requested = replay_requested AND EXISTS (SELECT 1 FROM {_schema}.consent_relay_dead_letters d WHERE d.subscription = $1 AND d.sequence <> $4)",
            [sequence],
            $"DELETE FROM {_schema}.consent_relay_dead_letters WHERE subscription = $1 AND sequence = $2;",
            cancellationToken,
            [subscription, sequence]);

    /// <inheritdoc />
    public async ValueTask<int> RequestReplayAsync(string subscription, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        var rows = await QueryAsync(
            $"""
            WITH letters AS (SELECT count(*)::int AS n FROM {_schema}.consent_relay_dead_letters WHERE subscription = $1),
                 marked AS (UPDATE {_schema}.consent_relay_subscriptions SET replay_requested = true WHERE name = $1 AND (SELECT n FROM letters) > 0 RETURNING 1)
            SELECT n FROM letters;
            """,
            c => Bind(c, subscription),
            r => r.GetInt32(0),
            cancellationToken);
        return rows[0];
    }

    /// <inheritdoc />
    public async ValueTask<bool> MoveAsync(string subscription, long position, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        var rows = await QueryAsync(
            $"UPDATE {_schema}.consent_relay_subscriptions SET position = $2, lease_holder = NULL, lease_expires_at = NULL WHERE name = $1 RETURNING 1;",
            c => Bind(c, subscription, position),
            r => r.GetInt32(0),
            cancellationToken);
        return rows.Count == 1;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RelaySubscriptionState>> GetSubscriptionsAsync(CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {StateColumns} FROM {_schema}.consent_relay_subscriptions s ORDER BY s.name;", _ => { }, ReadState, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<RelayDeadLetter>> GetDeadLettersAsync(string subscription, CancellationToken cancellationToken = default)
    {
        RelayStoreRules.CheckName(subscription);
        return QueryAsync(
            $"SELECT subscription, sequence, error, attempts, dead_lettered_at FROM {_schema}.consent_relay_dead_letters WHERE subscription = $1 ORDER BY sequence;",
            c => Bind(c, subscription),
            r => new RelayDeadLetter
            {
                Subscription = r.GetString(0),
                Sequence = r.GetInt64(1),
                Error = r.GetString(2),
                Attempts = r.GetInt32(3),
                DeadLetteredAt = r.GetFieldValue<DateTimeOffset>(4),
            },
            cancellationToken);
    }

    /// <summary>
    /// Runs the UPDATE <paramref name="set"/> (parameters: $1 name, $2 holder, $3 now, then <paramref name="values"/>) only while
    /// <paramref name="holder"/>'s lease holds, and <paramref name="alsoSql"/> in the same transaction when it does.
    /// </summary>
    private async ValueTask<bool> FencedAsync(
        string subscription, string holder, DateTimeOffset now, string set, object[] values, string? alsoSql, CancellationToken cancellationToken, object[]? alsoValues = null)
    {
        RelayStoreRules.CheckName(subscription);
        RelayStoreRules.CheckHolder(holder);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using var update = new NpgsqlCommand(
                $"UPDATE {_schema}.consent_relay_subscriptions SET {set} WHERE name = $1 AND lease_holder = $2 AND lease_expires_at > $3;", connection, transaction);
            Bind(update, [subscription, holder, now.ToUniversalTime(), .. values]);
            if (await update.ExecuteNonQueryAsync(ct) != 1)
            {
                return false;
            }

            if (alsoSql is not null)
            {
                await using var also = new NpgsqlCommand(alsoSql, connection, transaction);
                Bind(also, alsoValues!);
                await also.ExecuteNonQueryAsync(ct);
            }

            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken);
    }

    private static void Bind(NpgsqlCommand command, params object[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
    }

    private static RelaySubscriptionState ReadState(NpgsqlDataReader r) => new()
    {
        Name = r.GetString(0),
        Position = r.GetInt64(1),
        LeaseHolder = r.IsDBNull(2) ? null : r.GetString(2),
        LeaseExpiresAt = r.IsDBNull(3) ? null : r.GetFieldValue<DateTimeOffset>(3),
        LastError = r.IsDBNull(4) ? null : r.GetString(4),
        LastErrorAt = r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5),
        AdvancedAt = r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6),
        ReplayRequested = r.GetBoolean(7),
        DeadLetters = r.GetInt32(8),
    };
}
