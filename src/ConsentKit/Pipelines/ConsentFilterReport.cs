namespace ConsentKit;

/// <summary>What a consent-filtered run saw, kept and left out. Final once the run has been enumerated to the end.</summary>
public sealed class ConsentFilterReport
{
    private readonly long[] _leftOut = new long[Enum.GetValues<ConsentDecisionReason>().Length];

    internal ConsentFilterReport(string purposeId) => PurposeId = purposeId;

    /// <summary>The purpose the run filtered for.</summary>
    public string PurposeId { get; }

    /// <summary>Items read from the source.</summary>
    public long ItemsSeen { get; private set; }

    /// <summary>Items let through.</summary>
    public long ItemsKept { get; private set; }

    /// <summary>Items left out.</summary>
    public long ItemsLeftOut => ItemsSeen - ItemsKept;

    /// <summary>Distinct subjects looked up.</summary>
    public long SubjectsSeen { get; private set; }

    /// <summary>Distinct subjects whose items were let through.</summary>
    public long SubjectsKept { get; private set; }

    /// <summary>Bulk consent lookups made: one per batch that had subjects not seen before while looking up by id, plus one for a snapshot.</summary>
    public long Lookups { get; private set; }

    /// <summary>
    /// The store sequence the run's snapshot of the purpose's current state was read at, when the run
    /// decided from one (<see cref="ConsentFilterOptions.Lookup"/>); <see langword="null"/> while it looks subjects up by id.
    /// </summary>
    public long? SnapshotWatermark { get; private set; }

    /// <summary>The data use the run was recorded as, when it was.</summary>
    public DataUse? DataUse { get; internal set; }

    /// <summary>Whether the run reached the end of its source.</summary>
    public bool Completed { get; internal set; }

    /// <summary>Items left out, by the reason the gate gave.</summary>
    public IReadOnlyDictionary<ConsentDecisionReason, long> LeftOutByReason =>
        Enum.GetValues<ConsentDecisionReason>()
            .Where(r => _leftOut[(int)r] > 0)
            .ToDictionary(r => r, r => _leftOut[(int)r]);

    internal void Seen(ConsentDecisionReason reason)
    {
        ItemsSeen++;
        if (reason == ConsentDecisionReason.Granted)
        {
            ItemsKept++;
        }
        else
        {
            _leftOut[(int)reason]++;
        }
    }

    internal void LookedUp() => Lookups++;

    internal void SnapshotTaken(long watermark)
    {
        Lookups++;
        SnapshotWatermark = watermark;
    }

    internal void SubjectDecided(bool kept)
    {
        SubjectsSeen++;
        if (kept)
        {
            SubjectsKept++;
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{PurposeId}: {ItemsKept:N0} of {ItemsSeen:N0} items kept from {SubjectsKept:N0} of {SubjectsSeen:N0} subjects; left out: " +
        (ItemsLeftOut == 0 ? "none" : string.Join(", ", LeftOutByReason.Select(p => $"{p.Key} {p.Value:N0}")));
}
