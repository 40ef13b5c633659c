namespace ConsentKit;

/// <summary>
/// What the gate knows about one subject, worked out when the entry was filled: for each of the first
/// 8 purposes, one byte — the reason (low nibble) and the index of the deciding record in
/// <see cref="Current"/> (high nibble; 15 for none). It sits inline in the cache's slot array (40 bytes
/// with the key), so a warm check reads one slot and nothing else; the record itself is only touched if
/// the caller asks for it. Later purposes are decided from <see cref="Current"/> on each check.
/// </summary>
internal readonly struct SubjectCacheEntry(ConsentRecord?[] current, ulong packed, long staleAtTicks)
{
    /// <summary>Packed as "work it out from <see cref="Current"/>": purposes past the 8th, or a deciding index that does not fit.</summary>
    public const int Unpacked = 0xFF;

    public const int NoRecord = 0xF;

    public const int PackedPurposes = 8;

    /// <summary>The subject's current records by purpose index.</summary>
    public ConsentRecord?[] Current { get; } = current;

    /// <summary>
    /// UTC ticks from which the entry must not be used: the staleness bound, or one clock resolution
    /// before the earliest expiry of an allowing decision, whichever comes first.
    /// </summary>
    public long StaleAtTicks { get; } = staleAtTicks;

    private ulong PackedDecisions { get; } = packed;

    /// <summary>The packed byte for <paramref name="purposeIndex"/>, or <see cref="Unpacked"/>.</summary>
    private int Packed(int purposeIndex) =>
        purposeIndex < PackedPurposes ? (int)((PackedDecisions >> (purposeIndex * 8)) & 0xFF) : Unpacked;

    /// <summary>The decision packed for <paramref name="purposeIndex"/>, when the entry holds one.</summary>
    /// <param name="purposeIndex">The purpose's index in the catalog.</param>
    /// <param name="purposeId">The purpose's id, carried by the decision.</param>
    /// <param name="decision">The decision: the packed reason, and the deciding record by its index in <see cref="Current"/>.</param>
    /// <returns><see langword="false"/> when the purpose is not packed: decide it from <see cref="Current"/>.</returns>
    public bool TryUnpack(int purposeIndex, string purposeId, out ConsentDecision decision)
    {
        var packed = Packed(purposeIndex);
        if (packed == Unpacked)
        {
            decision = default;
            return false;
        }

        var deciding = packed >> 4;
        decision = new ConsentDecision(purposeId, (ConsentDecisionReason)(packed & 0xF), Current, deciding == NoRecord ? -1 : deciding);
        return true;
    }

    public static ulong Pack(ulong packed, int purposeIndex, int value) =>
        packed | ((ulong)(value & 0xFF) << (purposeIndex * 8));
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
            _entries.Remove(subjectId, onlyIf: entry.Current);
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
