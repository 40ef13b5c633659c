namespace ConsentKit.PostgreSql;

/// <summary>
/// Schema version 5: the relay's working state. Positions, leases and dead letters change in place; they point at
/// records and never change them. Dead letters hold no subject id, so erasure leaves nothing here.
/// </summary>
internal static class PostgreSqlRelayMigration
{
    public const string Sql =
        """
        CREATE TABLE {s}.consent_relay_subscriptions (
            name             text        NOT NULL PRIMARY KEY,
            position         bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
            lease_holder     text        NULL,
            lease_expires_at timestamptz NULL,
            last_error       text        NULL,
            last_error_at    timestamptz NULL,
            advanced_at      timestamptz NULL,
            replay_requested boolean     NOT NULL DEFAULT false
        );
        CREATE TABLE {s}.consent_relay_dead_letters (
            subscription     text        NOT NULL,
            sequence         bigint      NOT NULL,
            error            text        NOT NULL,
            attempts         integer     NOT NULL,
            dead_lettered_at timestamptz NOT NULL,
            PRIMARY KEY (subscription, sequence)
        );
        """;
}
