namespace ConsentKit;

/// <summary>Options for ConsentKit. Checked when the app starts.</summary>
/// <remarks>
/// There is deliberately no option that grants a purpose by default: consent exists only where the
/// subject explicitly gave it.
/// </remarks>
public sealed class ConsentKitOptions
{
    /// <summary>The registered purposes. Add to them with <c>AddPurpose</c> on the ConsentKit builder.</summary>
    public IList<ConsentPurpose> Purposes { get; } = [];

    /// <summary>
    /// How long the gate may answer a subject from its cache before reading the store again;
    /// <see cref="TimeSpan.Zero"/> disables the cache. Writes made through this process are seen by the
    /// very next check whatever this says.
    /// </summary>
    /// <remarks>
    /// Left <see langword="null"/> (the default), it depends on how the gate learns of writes made by
    /// other processes: <see cref="DefaultCacheMaxStaleness"/> (10 seconds) when nothing tells it, and
    /// <see cref="DefaultCacheMaxStalenessWithChangeFeed"/> (10 minutes) while a change-feed follower is
    /// running and current — the follower then tells it of every write, and while the follower is behind
    /// the gate does not use the cache at all.
    /// </remarks>
    public TimeSpan? CacheMaxStaleness { get; set; }

    /// <summary>The cache's staleness bound when no change-feed follower runs: 10 seconds.</summary>
    public static readonly TimeSpan DefaultCacheMaxStaleness = TimeSpan.FromSeconds(10);

    /// <summary>The cache's staleness bound while a change-feed follower runs and is current: 10 minutes.</summary>
    public static readonly TimeSpan DefaultCacheMaxStalenessWithChangeFeed = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The most subjects the gate keeps in its cache. Default 100,000. When full, a tenth is evicted, sparing the
    /// subjects checked since the last eviction round (CLOCK).
    /// </summary>
    public int CacheSizeLimit { get; set; } = 100_000;

    /// <summary>
    /// How long the gate waits for the store — on a single check, a bulk check (<c>CheckManyAsync</c>, so a
    /// hung store ends a pipeline run) and a change-feed read — before denying with
    /// <see cref="ConsentDecisionReason.StoreUnavailable"/>. Default 5 seconds; at most 49.7 days, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for no limit.
    /// </summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
