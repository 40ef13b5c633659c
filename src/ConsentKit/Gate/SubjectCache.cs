namespace ConsentKit;

/// <summary>A decision worked out when a cache entry was filled.</summary>
/// <param name="Decision">The decision.</param>
/// <param name="AllowedUntilTicks">UTC ticks at which an allowing decision stops allowing through time alone.</param>
internal readonly record struct CachedDecision(ConsentDecision Decision, long AllowedUntilTicks);

/// <summary>
/// What the gate knows about one subject. A struct stored inline in the dictionary's node, so a warm
/// check touches the node and one array: on 100k subjects each pointer hop is a likely cache miss.
/// </summary>
internal readonly struct SubjectCacheEntry(ConsentRecord?[] current, CachedDecision[] decisions, long staleAtTicks)
    : IEquatable<SubjectCacheEntry>
{
    /// <summary>The subject's current records by purpose index, for exact re-decisions near an expiry.</summary>
    public ConsentRecord?[] Current { get; } = current;

    /// <summary>The decision for each purpose index at fill time.</summary>
    public CachedDecision[] Decisions { get; } = decisions;

    /// <summary>UTC ticks after which the entry must be read again from the store.</summary>
    public long StaleAtTicks { get; } = staleAtTicks;

    // Identity is the fill: two entries are the same only if they came from the same read.
    public bool Equals(SubjectCacheEntry other) => ReferenceEquals(Decisions, other.Decisions);

    public override bool Equals(object? obj) => obj is SubjectCacheEntry other && Equals(other);

    public override int GetHashCode() => Decisions?.GetHashCode() ?? 0;
}

/// <summary>
/// A size-bounded map of subject → <see cref="SubjectCacheEntry"/> that never lets a fill that raced a
/// write leave stale state behind.
/// </summary>
/// <remarks>
/// A fill reads an invalidation epoch (striped by subject) before it reads the store, inserts, and then
/// takes its own entry back out if the epoch moved meanwhile. An invalidation bumps the epoch and then
/// removes the entry. Whichever order the two interleave in, a write's invalidation is never undone by
/// a fill that read the store before the write.
/// </remarks>
internal sealed class SubjectCache(int sizeLimit)
{
    private const int StripeCount = 1024;

    private readonly SubjectTable _entries = new(sizeLimit);
    private readonly long[] _epochs = new long[StripeCount];

    public int Count => _entries.Count;

    public bool TryGet(string subjectId, out SubjectCacheEntry entry) => _entries.TryGet(subjectId, out entry);

    public long ReadEpoch(string subjectId) => Volatile.Read(ref _epochs[Stripe(subjectId)]);

    /// <summary>Inserts a freshly read entry unless a write for the subject happened since <paramref name="epoch"/>.</summary>
    /// <returns>How many entries were evicted to stay within the size limit.</returns>
    public int TryAdd(string subjectId, SubjectCacheEntry entry, long epoch)
    {
        var stripe = Stripe(subjectId);
        if (Volatile.Read(ref _epochs[stripe]) != epoch)
        {
            return 0;
        }

        var evicted = _entries.Set(subjectId, entry);
        if (Volatile.Read(ref _epochs[stripe]) != epoch)
        {
            _entries.Remove(subjectId, onlyIf: entry.Decisions);
        }

        return evicted;
    }

    public void Invalidate(string subjectId)
    {
        Interlocked.Increment(ref _epochs[Stripe(subjectId)]);
        _entries.Remove(subjectId);
    }

    public void InvalidateAll()
    {
        for (var i = 0; i < _epochs.Length; i++)
        {
            Interlocked.Increment(ref _epochs[i]);
        }

        _entries.Clear();
    }

    private static int Stripe(string subjectId) => StringComparer.Ordinal.GetHashCode(subjectId) & (StripeCount - 1);
}
