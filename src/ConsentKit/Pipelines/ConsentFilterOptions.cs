namespace ConsentKit;

/// <summary>How one consent-filtered run behaves.</summary>
public sealed class ConsentFilterOptions
{
    /// <summary>The default <see cref="SnapshotThreshold"/>: 10,000 distinct subjects.</summary>
    public const int DefaultSnapshotThreshold = 10_000;

    /// <summary>The default <see cref="BatchSize"/>: 4,096 items.</summary>
    public const int DefaultBatchSize = 4_096;

    /// <summary>
    /// The most items a run holds at once, which bounds its memory at <c>BatchSize × item size</c>. While
    /// subjects are looked up by id, a batch of this many items waits for one bulk store read. Once the run
    /// decides from a snapshot every decision is known: an item leaves as soon as it is read, unless its subject
    /// must first be written to the data-use ledger (a recorded run); then up to this many items wait and their
    /// new subjects are written in one ledger call. A larger value means fewer store reads and ledger writes
    /// (a recorded run over 1M items by 100k authors on SQLite measured ≈ 1.8 s at 65,536 against ≈ 4.1 s at
    /// 4,096, docs/performance.md) at that much more memory. Default <see cref="DefaultBatchSize"/>.
    /// </summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>How the run reads consent: <see cref="ConsentFilterLookup.Automatic"/> (the default) chooses by the run's size.</summary>
    public ConsentFilterLookup Lookup { get; set; } = ConsentFilterLookup.Automatic;

    /// <summary>
    /// With <see cref="ConsentFilterLookup.Automatic"/>: once a run has met more distinct subjects than this,
    /// it reads the purpose's whole current state once (a snapshot) and decides every further subject from
    /// it, instead of looking subjects up by id. Default <see cref="DefaultSnapshotThreshold"/>; <c>0</c>
    /// takes the snapshot after the first batch, <see cref="int.MaxValue"/> never does.
    /// </summary>
    public int SnapshotThreshold { get; set; } = DefaultSnapshotThreshold;

    /// <summary>
    /// A snapshot kept between runs (<see cref="ConsentFilter.KeepSnapshot"/>): the run decides from it,
    /// brought up to date from the change feed first, instead of reading consent itself. It must be for the
    /// run's purpose and made by the same filter; <see cref="Lookup"/> must then be
    /// <see cref="ConsentFilterLookup.Automatic"/> or <see cref="ConsentFilterLookup.Snapshot"/>.
    /// </summary>
    public ConsentPurposeSnapshot? KeptSnapshot { get; set; }

    /// <summary>
    /// When set, the run is recorded in the data-use ledger under this description (for example
    /// "genai-model-v7 training set"): every subject whose data is let through, with the grant that
    /// allowed it. <see langword="null"/> (the default) records nothing.
    /// </summary>
    public string? DataUseDescription { get; set; }

    /// <summary>The data use id when recorded; a new GUID when <see langword="null"/>. Setting it without <see cref="DataUseDescription"/> is refused: it would record nothing.</summary>
    public string? DataUseId { get; set; }
}
