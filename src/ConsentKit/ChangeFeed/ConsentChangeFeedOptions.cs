namespace ConsentKit;

/// <summary>
/// Options for the change-feed follower: the background service through which an instance learns of
/// consent records written by other instances and processes (see <see cref="IConsentStore.GetChangesAsync"/>).
/// Checked when the app starts.
/// </summary>
public sealed class ConsentChangeFeedOptions
{
    /// <summary>Whether the follower runs. Default <see langword="true"/>; turn it off only where one process is the only writer.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How often the follower reads the feed when the store sends no notification (and at most this long
    /// after a lost one). Must be shorter than <see cref="MaxLag"/>. Default 250 ms.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How old the follower's last complete catch-up may be before the gate stops answering from its
    /// cache and reads the store on every check (denying with <see cref="ConsentDecisionReason.StoreUnavailable"/>
    /// when it cannot). Default 1 second.
    /// </summary>
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many records one read of the feed returns at most. Default 1,000.</summary>
    public int PageSize { get; set; } = 1_000;

    /// <summary>
    /// The most records the follower pages through to catch up after a gap; further behind, it drops the
    /// whole cache instead (every subject is read again on its next check). Default 100,000.
    /// </summary>
    public int MaxCatchUpRecords { get; set; } = 100_000;

    /// <summary>Whether the follower listens for the store's notifications (PostgreSQL <c>LISTEN/NOTIFY</c>) to read at once instead of at the next poll. Default <see langword="true"/>.</summary>
    public bool UseNotifications { get; set; } = true;
}
