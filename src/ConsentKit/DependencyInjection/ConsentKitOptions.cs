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
    /// How long the gate may answer from its cache before reading the store again. This bounds how
    /// long a write made by another process can go unseen; writes made through this process are seen
    /// by the very next check. Default 10 seconds; <see cref="TimeSpan.Zero"/> disables the cache.
    /// </summary>
    public TimeSpan CacheMaxStaleness { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most subjects the gate keeps in its cache. Default 100,000.</summary>
    public int CacheSizeLimit { get; set; } = 100_000;

    /// <summary>How long the gate waits for the store before denying with <see cref="ConsentDecisionReason.StoreUnavailable"/>. Default 5 seconds.</summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
