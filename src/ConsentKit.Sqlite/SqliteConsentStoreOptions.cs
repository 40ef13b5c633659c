namespace ConsentKit.Sqlite;

/// <summary>Options for <see cref="SqliteConsentStore"/>.</summary>
public sealed class SqliteConsentStoreOptions
{
    /// <summary>The Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=consent.db</c>.</summary>
    public string ConnectionString { get; set; } = "Data Source=consent.db";

    /// <summary>
    /// How long a call waits for another connection or process that holds the database's write lock
    /// before it fails with a <see cref="ConsentStoreException"/>. Default 5 seconds.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many subject ids one bulk-read statement carries. Default 10,000.</summary>
    public int BulkReadChunkSize { get; set; } = 10_000;
}
