namespace ConsentKit.Snapshots;

/// <summary>
/// Consent snapshots for jobs that run outside the app's process (Spark, DuckDB, Trino): the subjects whose
/// data may be used for a purpose, at a sequence watermark, as a Parquet or CSV file to join against — and the way
/// back: the subjects the job actually used, recorded on the data-use ledger.
/// </summary>
/// <remarks>
/// The watermark guarantees: no subject is in the snapshot whose withdrawal (or refusal, or expiry) was
/// recorded at or before it; a withdrawal after it is found by withdrawal impact once the used subjects
/// are imported. Decisions are the gate's own evaluator's, at the snapshot's time.
/// </remarks>
public interface IConsentSnapshots
{
    /// <summary>
    /// Writes the snapshot to <paramref name="output"/> as Parquet or CSV (<see cref="ConsentSnapshotRequest.Format"/>;
    /// columns <c>subject_id</c>, <c>consent_sequence</c>; metadata <c>consentkit.*</c>) and starts the data use
    /// in the ledger (status Running). The subjects are decided from one scan of the purpose's current state,
    /// by the gate's evaluator, as a large in-process run is.
    /// </summary>
    /// <param name="request">The purpose and the data use to start.</param>
    /// <param name="output">Where the file goes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">The purpose is not registered, or the data use id or description is malformed.</exception>
    /// <exception cref="InvalidOperationException">No data-use ledger is registered.</exception>
    /// <exception cref="ConsentStoreException">The store could not be read; nothing was written.</exception>
    ValueTask<ConsentSnapshotInfo> CreateAsync(ConsentSnapshotRequest request, Stream output, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the subjects an external job used against the snapshot's data use, each with the grant the
    /// snapshot listed, and completes the data use. Every id must be in the snapshot: otherwise nothing is
    /// written and the error names the first one that is not.
    /// </summary>
    /// <param name="snapshot">The snapshot file the job joined against, Parquet or CSV (its content hash is checked).</param>
    /// <param name="usedSubjectIds">The subjects whose data the job used.</param>
    /// <param name="itemsSeen">How many items the job looked at, if known.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">An id is not in the snapshot (named), or the snapshot is not one or was altered.</exception>
    ValueTask<DataUse> ImportUsedSubjectsAsync(Stream snapshot, IEnumerable<string> usedSubjectIds, long? itemsSeen = null, CancellationToken cancellationToken = default);
}

/// <summary>What to snapshot.</summary>
public sealed class ConsentSnapshotRequest
{
    /// <summary>The purpose, e.g. <c>ai-training.generative</c>.</summary>
    public required string PurposeId { get; init; }

    /// <summary>The data use the external job is, e.g. <c>genai-model-v8-2026-11-27</c>.</summary>
    public required string DataUseId { get; init; }

    /// <summary>What the job builds.</summary>
    public required string Description { get; init; }

    /// <summary>The file format; <see cref="ConsentSnapshotFormat.Parquet"/> unless set.</summary>
    public ConsentSnapshotFormat Format { get; init; } = ConsentSnapshotFormat.Parquet;
}

/// <summary>What a snapshot holds, as written into its metadata.</summary>
public sealed class ConsentSnapshotInfo
{
    /// <summary>The rule version of the evaluator that decided.</summary>
    public const string CurrentRuleVersion = "consentkit-evaluator/1";

    /// <summary>The data use started for it.</summary>
    public required DataUse DataUse { get; init; }

    /// <summary>The purpose.</summary>
    public required string PurposeId { get; init; }

    /// <summary>The last sequence the snapshot saw.</summary>
    public required long Watermark { get; init; }

    /// <summary>When its decisions were made (expiries are judged at this time).</summary>
    public required DateTimeOffset DecidedAt { get; init; }

    /// <summary>The evaluator's rule version.</summary>
    public required string RuleVersion { get; init; }

    /// <summary>How many subjects may be used.</summary>
    public required int SubjectCount { get; init; }

    /// <summary>SHA-256 (hex) over the rows, <c>subject_id TAB consent_sequence LF</c> in subject order.</summary>
    public required string ContentSha256 { get; init; }
}
