namespace ConsentKit.Sqlite;

/// <summary>
/// Schema version 8: the relay's working state. Positions, leases and dead letters change in place; they point at
/// records and never change them. Dead letters hold no subject id, so erasure leaves nothing here.
/// </summary>
internal static class SqliteRelayMigration
{
    public const string Sql =
        """
        CREATE TABLE consent_relay_subscriptions (
            name             TEXT    NOT NULL PRIMARY KEY,
            position         INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0),
            lease_holder     TEXT    NULL,
            lease_expires_at INTEGER NULL,
            last_error       TEXT    NULL,
            last_error_at    INTEGER NULL,
            advanced_at      INTEGER NULL,
            replay_requested INTEGER NOT NULL DEFAULT 0 CHECK (replay_requested IN (0, 1))
        ) WITHOUT ROWID;
        CREATE TABLE consent_relay_dead_letters (
            subscription     TEXT    NOT NULL,
            sequence         INTEGER NOT NULL,
            error            TEXT    NOT NULL,
            attempts         INTEGER NOT NULL,
            dead_lettered_at INTEGER NOT NULL,
            PRIMARY KEY (subscription, sequence)
        ) WITHOUT ROWID;
        """;
}
