namespace ConsentKit;

/// <summary>How a consent-filtered run reads consent from the store.</summary>
public enum ConsentFilterLookup
{
    /// <summary>
    /// By id while the run is small, then — once it has met more than
    /// <see cref="ConsentFilterOptions.SnapshotThreshold"/> distinct subjects — from one snapshot of the
    /// purpose's current state. The default.
    /// </summary>
    Automatic = 0,

    /// <summary>Always by id: one bulk read per batch for the subjects not seen before (best when a run meets few of the store's subjects).</summary>
    BySubject = 1,

    /// <summary>
    /// From one snapshot of the purpose's current state, read before the first item (best when a run
    /// meets a large share of the store's subjects: one sequential read instead of a lookup per subject).
    /// </summary>
    Snapshot = 2,
}
