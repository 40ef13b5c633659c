using System.Runtime.CompilerServices;

namespace ConsentKit;

/// <summary>
/// An open-addressing hash table of subject → <see cref="SubjectCacheEntry"/> laid out in one array of
/// structs: readers take no lock and touch one slot, writers serialise on a
/// lock. Built for the gate's hot path, where a <c>ConcurrentDictionary</c> measured about 5× a plain
/// <c>Dictionary</c> on 100k keys because its nodes are scattered over the heap.
/// </summary>
/// <remarks>
/// <para>
/// Each slot carries a version stamp (a seqlock): a writer makes it odd, writes, and makes it even
/// again; a reader accepts what it read only if the stamp was even and unchanged around the read. A
/// reader that loses a race reports "not found", which only sends the check down the slow path.
/// </para>
/// <para>
/// When the table grows or is cleared, the old array's slots are all made odd, so a reader still
/// holding it cannot return anything written before an invalidation that happens after the swap.
/// </para>
/// </remarks>
internal sealed class SubjectTable
{
    private const int MinCapacity = 256;

    // The top bit of a slot's hash (hashes are non-negative): set when the entry was read since the clock hand passed.
    private const int ReferencedBit = int.MinValue;

    // A reference no caller can pass: marks a removed slot so probing continues past it.
    private static readonly string Tombstone = new('\u0000', 1);

    private readonly Lock _writeLock = new();
    private readonly int _sizeLimit;
    private readonly int _maxCapacity;
    private Slot[] _slots;
    private int _count;
    private int _tombstones;
    private int _evictCursor;

    public SubjectTable(int sizeLimit)
    {
        _sizeLimit = sizeLimit;
        _maxCapacity = (int)Math.Min(1 << 30, BitOperations_RoundUpToPowerOf2(((long)sizeLimit * 5 / 4) + 1));
        _slots = new Slot[Math.Min(_maxCapacity, MinCapacity)];
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Whether eviction spares entries read since the hand last passed (on; off is the plain sweep, for comparison).</summary>
    internal bool SecondChance { get; set; } = true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(string key, out SubjectCacheEntry entry)
    {
        var slots = Volatile.Read(ref _slots);
        var hash = Hash(key);
        var mask = slots.Length - 1;
        var index = hash & mask;
        for (var probe = 0; probe < slots.Length; probe++)
        {
            ref var slot = ref slots[index];
            var version = Volatile.Read(ref slot.Version);
            var slotKey = slot.Key;
            if ((version & 1) != 0 || slotKey is null)
            {
                break;
            }

            var slotHash = slot.Hash;
            if ((slotHash & int.MaxValue) == hash && !ReferenceEquals(slotKey, Tombstone) && (ReferenceEquals(slotKey, key) || string.Equals(slotKey, key, StringComparison.Ordinal)))
            {
                entry = slot.Entry;
                Volatile.ReadBarrier();
                if (Volatile.Read(ref slot.Version) == version)
                {
                    // The clock's "used since the hand last passed" bit, set once per pass: a hot entry costs one
                    // atomic write per eviction round, not one per check.
                    if (slotHash >= 0)
                    {
                        Interlocked.Or(ref slot.Hash, ReferencedBit);
                    }

                    return true;
                }

                break;
            }

            index = (index + 1) & mask;
        }

        entry = default;
        return false;
    }

    /// <summary>Inserts or replaces. Returns how many entries were evicted to stay within the size limit.</summary>
    public int Set(string key, SubjectCacheEntry entry)
    {
        lock (_writeLock)
        {
            var evicted = 0;
            if (_count >= _sizeLimit && Find(_slots, key, Hash(key)) < 0)
            {
                evicted = EvictLocked();

                // The tenth dropped leaves as many tombstones, which would soon force a rebuild on the next inserts
                // anyway (one per few thousand misses at capacity): compact now, once per eviction round.
                RebuildLocked(_slots.Length);
            }

            // Linear probing stays short up to about 80 % full; the slots are small, so a longer probe
            // mostly stays in the same cache lines, and a smaller array stays in cache.
            if ((long)(_count + _tombstones + 1) * 5 > (long)_slots.Length * 4)
            {
                RebuildLocked(_slots.Length < _maxCapacity ? _slots.Length * 2 : _slots.Length);
            }

            var slots = _slots;
            var hash = Hash(key);
            var mask = slots.Length - 1;
            var index = hash & mask;
            var firstFree = -1;
            while (slots[index].Key is { } existing)
            {
                if (ReferenceEquals(existing, Tombstone))
                {
                    firstFree = firstFree < 0 ? index : firstFree;
                }
                else if ((slots[index].Hash & int.MaxValue) == hash && string.Equals(existing, key, StringComparison.Ordinal))
                {
                    Write(ref slots[index], key, hash, entry);
                    return evicted;
                }

                index = (index + 1) & mask;
            }

            if (firstFree >= 0)
            {
                _tombstones--;
                index = firstFree;
            }

            Write(ref slots[index], key, hash, entry);
            _count++;
            return evicted;
        }
    }

    /// <summary>Removes <paramref name="key"/>; with <paramref name="onlyIf"/>, only if its entry is still that fill.</summary>
    public void Remove(string key, ConsentRecord?[]? onlyIf = null)
    {
        lock (_writeLock)
        {
            var index = Find(_slots, key, Hash(key));
            if (index >= 0 && (onlyIf is null || ReferenceEquals(_slots[index].Entry.Current, onlyIf)))
            {
                Write(ref _slots[index], Tombstone, 0, default);
                _count--;
                _tombstones++;
            }
        }
    }

    public void Clear()
    {
        lock (_writeLock)
        {
            var old = _slots;
            Volatile.Write(ref _slots, new Slot[Math.Min(_maxCapacity, MinCapacity)]);
            _count = 0;
            _tombstones = 0;
            Retire(old);
        }
    }

    private static int Find(Slot[] slots, string key, int hash)
    {
        var mask = slots.Length - 1;
        var index = hash & mask;
        while (slots[index].Key is { } existing)
        {
            if (!ReferenceEquals(existing, Tombstone) && (slots[index].Hash & int.MaxValue) == hash && string.Equals(existing, key, StringComparison.Ordinal))
            {
                return index;
            }

            index = (index + 1) & mask;
        }

        return -1;
    }

    /// <summary>
    /// Drops about a tenth of the entries with the CLOCK policy (second chance): the hand walks round the table from
    /// where it last stopped; an entry read since the hand last passed loses its mark and stays, one that was not is
    /// dropped. So the subjects being checked stay cached under skewed traffic, at no cost per check beyond one mark
    /// per round (measured against BitFaster.Caching's ConcurrentLru in docs/performance.md).
    /// </summary>
    private int EvictLocked()
    {
        var target = Math.Max(1, _sizeLimit / 10);
        var slots = _slots;
        var evicted = 0;

        // Two rounds at most: the first clears every mark it passes, so the second finds entries to drop.
        for (var scanned = 0; scanned < 2 * slots.Length && evicted < target; scanned++)
        {
            _evictCursor = (_evictCursor + 1) & (slots.Length - 1);
            ref var slot = ref slots[_evictCursor];
            if (slot.Key is not { } existing || ReferenceEquals(existing, Tombstone))
            {
                continue;
            }

            if (SecondChance && slot.Hash < 0)
            {
                Interlocked.And(ref slot.Hash, int.MaxValue);
                continue;
            }

            Write(ref slot, Tombstone, 0, default);
            _count--;
            _tombstones++;
            evicted++;
        }

        return evicted;
    }

    private void RebuildLocked(int capacity)
    {
        var old = _slots;
        var slots = new Slot[capacity];
        var mask = capacity - 1;
        foreach (ref readonly var slot in old.AsSpan())
        {
            if (slot.Key is { } key && !ReferenceEquals(key, Tombstone))
            {
                var index = slot.Hash & int.MaxValue & mask;
                while (slots[index].Key is not null)
                {
                    index = (index + 1) & mask;
                }

                slots[index] = new Slot { Key = key, Hash = slot.Hash, Entry = slot.Entry };
            }
        }

        _tombstones = 0;
        Volatile.Write(ref _slots, slots);
        Retire(old);
    }

    // Readers that still hold the old array must not trust it any more.
    private static void Retire(Slot[] old)
    {
        for (var i = 0; i < old.Length; i++)
        {
            Interlocked.Increment(ref old[i].Version);
        }
    }

    private static void Write(ref Slot slot, string key, int hash, SubjectCacheEntry entry)
    {
        Interlocked.Increment(ref slot.Version);
        slot.Key = key;
        slot.Hash = hash;
        slot.Entry = entry;
        Volatile.Write(ref slot.Version, slot.Version + 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(string key) => StringComparer.Ordinal.GetHashCode(key) & int.MaxValue;

    private static long BitOperations_RoundUpToPowerOf2(long value) => (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(value, MinCapacity));

    private struct Slot
    {
        public int Version;
        public int Hash;
        public string? Key;
        public SubjectCacheEntry Entry;
    }
}
