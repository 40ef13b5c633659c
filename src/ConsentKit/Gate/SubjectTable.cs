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
/// <para>
/// A removal shifts the entries after it back (linear probing's backward-shift delete), and an eviction
/// round drops its entries and then moves each later entry back towards its home slot in one pass. So
/// the table never holds tombstones and is never rebuilt at the size limit: no new array per round. A
/// reader that meets an entry mid-move may miss it once (the slow path again); it can never see
/// another key's entry.
/// </para>
/// </remarks>
internal sealed class SubjectTable
{
    private const int MinCapacity = 256;

    // The top bit of a slot's hash (hashes are non-negative): set when the entry was read since the clock hand passed.
    private const int ReferencedBit = int.MinValue;

    private readonly Lock _writeLock = new();
    private readonly int _sizeLimit;
    private readonly int _maxCapacity;
    private Slot[] _slots;
    private int _count;
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
            if ((slotHash & int.MaxValue) == hash && (ReferenceEquals(slotKey, key) || string.Equals(slotKey, key, StringComparison.Ordinal)))
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
            }

            // Linear probing stays short up to about 80 % full; the slots are small, so a longer probe
            // mostly stays in the same cache lines, and a smaller array stays in cache. At the size limit the
            // array is already big enough (capacity ≥ 5/4 of the limit), so this only runs while it grows.
            if ((long)(_count + 1) * 5 > (long)_slots.Length * 4 && _slots.Length < _maxCapacity)
            {
                RebuildLocked(_slots.Length * 2);
            }

            var slots = _slots;
            var hash = Hash(key);
            var mask = slots.Length - 1;
            var index = hash & mask;
            while (slots[index].Key is { } existing)
            {
                if ((slots[index].Hash & int.MaxValue) == hash && string.Equals(existing, key, StringComparison.Ordinal))
                {
                    Write(ref slots[index], key, hash, entry);
                    return evicted;
                }

                index = (index + 1) & mask;
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
                DeleteLocked(_slots, index);
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
            Retire(old);
        }
    }

    private static int Find(Slot[] slots, string key, int hash)
    {
        var mask = slots.Length - 1;
        var index = hash & mask;
        while (slots[index].Key is { } existing)
        {
            if ((slots[index].Hash & int.MaxValue) == hash && string.Equals(existing, key, StringComparison.Ordinal))
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
        var mask = slots.Length - 1;

        // A slot empty before anything is dropped: no probe run crosses it, so the repair below can start after it.
        var start = 0;
        while (slots[start].Key is not null)
        {
            start++;
        }

        // The hand visits the slots in a scattered order (an odd stride near the golden ratio of the length visits each
        // once per round): a hand that walked the slots in order left the table dense just ahead of it, and long runs
        // there made every miss probe far (measured: runs of 1,600 slots at 70 % full; scattered, see performance.md).
        var stride = (int)(slots.Length * 0.6180339887) | 1;
        var evicted = 0;

        // Two rounds at most: the first clears every mark it passes, so the second finds entries to drop.
        for (var scanned = 0; scanned < 2 * slots.Length && evicted < target; scanned++)
        {
            _evictCursor = (_evictCursor + stride) & mask;
            ref var slot = ref slots[_evictCursor];
            if (slot.Key is null)
            {
                continue;
            }

            if (SecondChance && slot.Hash < 0)
            {
                Interlocked.And(ref slot.Hash, int.MaxValue);
                continue;
            }

            Write(ref slot, null, 0, default);
            evicted++;
        }

        _count -= evicted;
        CloseHolesLocked(slots, start);
        return evicted;
    }

    /// <summary>
    /// After a round of drops, moves each entry back to the first empty slot on its way from its home slot, in
    /// one pass from <paramref name="start"/> (empty, so no run crosses it): every entry is reachable again and
    /// the table holds no tombstones. Deleting the drops one by one with backward shifts would move the rest of a
    /// run once per drop.
    /// </summary>
    private static void CloseHolesLocked(Slot[] slots, int start)
    {
        var mask = slots.Length - 1;
        for (var step = 1; step < slots.Length; step++)
        {
            var position = (start + step) & mask;
            ref var slot = ref slots[position];
            if (slot.Key is not { } key)
            {
                continue;
            }

            // Entries before this one in the pass are settled, so the first empty slot from home is where it belongs.
            var target = slot.Hash & int.MaxValue & mask;
            while (target != position && slots[target].Key is not null)
            {
                target = (target + 1) & mask;
            }

            if (target != position)
            {
                Write(ref slots[target], key, slot.Hash, slot.Entry);
                Write(ref slot, null, 0, default);
            }
        }
    }

    /// <summary>
    /// Empties slot <paramref name="index"/> and shifts back each later entry of its run that may live there, so every
    /// entry stays reachable from its home slot without tombstones.
    /// </summary>
    private void DeleteLocked(Slot[] slots, int index)
    {
        var mask = slots.Length - 1;
        var hole = index;
        var next = index;
        while (true)
        {
            next = (next + 1) & mask;
            ref var candidate = ref slots[next];
            if (candidate.Key is not { } key)
            {
                break;
            }

            // The entry at next may fill the hole unless its home lies cyclically in (hole, next]: then it must stay.
            var home = candidate.Hash & int.MaxValue & mask;
            var staysPut = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (!staysPut)
            {
                Write(ref slots[hole], key, candidate.Hash, candidate.Entry);
                hole = next;
            }
        }

        Write(ref slots[hole], null, 0, default);
        _count--;
    }

    private void RebuildLocked(int capacity)
    {
        var old = _slots;
        var slots = new Slot[capacity];
        var mask = capacity - 1;
        foreach (ref readonly var slot in old.AsSpan())
        {
            if (slot.Key is { } key)
            {
                var index = slot.Hash & int.MaxValue & mask;
                while (slots[index].Key is not null)
                {
                    index = (index + 1) & mask;
                }

                slots[index] = new Slot { Key = key, Hash = slot.Hash, Entry = slot.Entry };
            }
        }

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

    private static void Write(ref Slot slot, string? key, int hash, SubjectCacheEntry entry)
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
