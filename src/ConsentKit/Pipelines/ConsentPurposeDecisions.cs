using System.Runtime.InteropServices;

namespace ConsentKit;

/// <summary>
/// Every subject's decision for one purpose at one store watermark, from one scan of the purpose's
/// current state (<see cref="ConsentPurposeReader.DecideAllAsync"/>): for pipeline runs that meet a large share of
/// all subjects. A subject the scan did not meet has no record and is denied.
/// </summary>
/// <remarks>
/// Laid out for a run's per-item path: subjects are numbered (slots), and each slot's reason and the run's
/// "seen" flag are bytes in two arrays, so an item costs one hash lookup and two byte reads. A run owns its
/// instance: <see cref="SlotOf"/> adds subjects the scan did not meet (as <see cref="ConsentDecisionReason.NoRecord"/>),
/// so a subject without a record also costs one lookup.
/// </remarks>
internal sealed class ConsentPurposeDecisions
{
    private readonly Dictionary<string, int> _slots;
    private readonly List<ConsentRecord?> _records;
    private const byte SeenFlag = 0x80;

    // Per slot the reason, with SeenFlag set once the run has met the subject: one byte read per item.
    private byte[] _states;

    internal ConsentPurposeDecisions(string purposeId, long watermark, DateTimeOffset decidedAt, ConsentDecisionReason absentReason)
    {
        PurposeId = purposeId;
        Watermark = watermark;
        DecidedAt = decidedAt;
        AbsentReason = absentReason;
        _slots = new Dictionary<string, int>(StringComparer.Ordinal);
        _records = [];
        _states = new byte[16];
    }

    /// <summary>
    /// A set over subjects already numbered 0 … n-1 (<paramref name="slots"/>, taken over, not copied): the
    /// scan groups records by subject with exactly this numbering, so the table is built once; each slot's
    /// decision is then <see cref="Set"/>.
    /// </summary>
    internal ConsentPurposeDecisions(string purposeId, long watermark, DateTimeOffset decidedAt, Dictionary<string, int> slots)
    {
        PurposeId = purposeId;
        Watermark = watermark;
        DecidedAt = decidedAt;
        AbsentReason = ConsentDecisionReason.NoRecord;
        _slots = slots;
        _records = new List<ConsentRecord?>(slots.Count);
        System.Runtime.InteropServices.CollectionsMarshal.SetCount(_records, slots.Count);
        _states = new byte[Math.Max(slots.Count, 16)];
    }

    /// <summary>
    /// An empty set that a run fills by id, one bulk lookup per batch (<see cref="Set"/>): the same slots as a
    /// snapshot's, so the run's per-item path is one whichever way it reads.
    /// </summary>
    internal static ConsentPurposeDecisions ForLookups(string purposeId) => new(purposeId, 0, default, ConsentDecisionReason.NoRecord);

    /// <summary>The purpose decided.</summary>
    public string PurposeId { get; }

    /// <summary>The store sequence the decisions were read at (<c>0</c> for a set filled by id).</summary>
    public long Watermark { get; internal set; }

    /// <summary>
    /// The earliest horizon among the decisions (<see cref="DateTimeOffset.MaxValue"/> for none): until then no
    /// decision changes by time alone. A kept snapshot is read again from there.
    /// </summary>
    public DateTimeOffset HoldsUntil { get; internal set; } = DateTimeOffset.MaxValue;

    /// <summary>The time the decisions were made at (expiry is judged at this instant).</summary>
    public DateTimeOffset DecidedAt { get; internal set; }

    /// <summary>The reason for a subject the scan did not meet: no record, or why nothing could be read.</summary>
    public ConsentDecisionReason AbsentReason { get; }

    /// <summary>Whether the store could not be read: every decision is then <see cref="ConsentDecisionReason.StoreUnavailable"/>.</summary>
    public bool StoreUnavailable => AbsentReason == ConsentDecisionReason.StoreUnavailable;

    /// <summary>The decision for <paramref name="subjectId"/>.</summary>
    public ConsentDecision Decide(string subjectId) =>
        _slots.TryGetValue(subjectId, out var slot) ? DecisionAt(slot) : ConsentDecision.Deny(PurposeId, AbsentReason);

    /// <summary>The subjects the scan found allowed, with the grant that allows each.</summary>
    public IEnumerable<(string Subject, ConsentRecord Grant)> Allowed()
    {
        foreach (var (subject, slot) in _slots)
        {
            if (ReasonAt(slot) == ConsentDecisionReason.Granted)
            {
                yield return (subject, _records[slot]!);
            }
        }
    }

    /// <summary>The subject's slot; a subject not met before gets one, with <see cref="AbsentReason"/>.</summary>
    internal int SlotOf(string subjectId)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_slots, subjectId, out var exists);
        if (!exists)
        {
            slot = Add(ConsentDecision.Deny(PurposeId, AbsentReason));
        }

        return slot;
    }

    /// <summary>How many subjects have a slot.</summary>
    internal int Count => _records.Count;

    /// <summary>Every subject with its slot.</summary>
    internal IEnumerable<KeyValuePair<string, int>> Slots => _slots;

    internal ConsentDecisionReason ReasonAt(int slot) => (ConsentDecisionReason)(_states[slot] & ~SeenFlag);

    /// <summary>The slot's reason, marking it seen by the run; <paramref name="firstSight"/> is true the first time.</summary>
    internal ConsentDecisionReason Visit(int slot, out bool firstSight)
    {
        ref var state = ref _states[slot];
        firstSight = state < SeenFlag;
        state |= SeenFlag;
        return (ConsentDecisionReason)(state & ~SeenFlag);
    }

    /// <summary>Sets a slot's decision (a set filled by id).</summary>
    internal void Set(int slot, in ConsentDecision decision)
    {
        _states[slot] = (byte)((_states[slot] & SeenFlag) | (byte)decision.Reason);
        _records[slot] = decision.Record;
    }

    internal ConsentDecision DecisionAt(int slot) =>
        ReasonAt(slot) == ConsentDecisionReason.Granted
            ? ConsentDecision.Allow(PurposeId, _records[slot]!)
            : ConsentDecision.Deny(PurposeId, ReasonAt(slot), _records[slot]);

    /// <summary>Marks the slot seen by the run; true the first time.</summary>
    internal bool MarkSeen(int slot)
    {
        _ = Visit(slot, out var firstSight);
        return firstSight;
    }

    /// <summary>
    /// Keeps a decision the run made earlier by id for <paramref name="subjectId"/> (each subject is
    /// decided once per run), marked seen: only its reason is kept, as the run needs nothing else of it.
    /// </summary>
    internal void Keep(string subjectId, ConsentDecisionReason reason)
    {
        var slot = SlotOf(subjectId);
        _states[slot] = (byte)((byte)reason | SeenFlag);
        _records[slot] = null;
    }

    /// <summary>Sets <paramref name="subjectId"/>'s decision, giving it a slot if it has none (a kept snapshot catching up).</summary>
    internal void Put(string subjectId, in ConsentDecision decision) => Set(SlotOf(subjectId), decision);

    /// <summary>
    /// A copy for one run of a kept snapshot: its own slots (a run adds the subjects the snapshot does not
    /// know) and nothing seen yet. Copying the table is a block copy of its arrays, far cheaper than reading.
    /// </summary>
    internal ConsentPurposeDecisions CopyForRun() => new(this);

    private ConsentPurposeDecisions(ConsentPurposeDecisions kept)
    {
        PurposeId = kept.PurposeId;
        Watermark = kept.Watermark;
        DecidedAt = kept.DecidedAt;
        AbsentReason = kept.AbsentReason;
        HoldsUntil = kept.HoldsUntil;
        _slots = new Dictionary<string, int>(kept._slots, kept._slots.Comparer);

        // Room for the subjects without a record that the run will add, in one step rather than by doubling.
        _slots.EnsureCapacity(kept._slots.Count * 2);
        _records = [.. kept._records];
        _states = new byte[Math.Max(kept._states.Length, kept._slots.Count * 2)];
        for (var i = 0; i < kept._records.Count; i++)
        {
            _states[i] = (byte)(kept._states[i] & ~SeenFlag);
        }
    }

    private int Add(in ConsentDecision decision)
    {
        var slot = _records.Count;
        if (slot == _states.Length)
        {
            Array.Resize(ref _states, slot * 2);
        }

        _states[slot] = (byte)decision.Reason;
        _records.Add(decision.Record);
        return slot;
    }
}
