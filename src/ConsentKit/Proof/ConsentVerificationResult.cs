namespace ConsentKit;

/// <summary>What <see cref="ConsentHistoryVerifier.VerifyAsync"/> found.</summary>
public sealed class ConsentVerificationResult
{
    /// <summary>Whether every record, the order, the kept notices, the current-state index and the anchor (if given) check out.</summary>
    public bool IsValid => Problem is ConsentVerificationProblem.None;

    /// <summary>What is wrong first; <see cref="ConsentVerificationProblem.None"/> when nothing is.</summary>
    public required ConsentVerificationProblem Problem { get; init; }

    /// <summary>The first sequence whose content, order or presence is wrong; <see langword="null"/> when valid.</summary>
    public long? FirstBadSequence { get; init; }

    /// <summary>A sentence saying what is wrong and where; <see langword="null"/> when valid.</summary>
    public string? Message { get; init; }

    /// <summary>How many records were checked.</summary>
    public required long RecordsChecked { get; init; }

    /// <summary>How many proof-log entries (subject registry and ledger) were checked.</summary>
    public long LogEntriesChecked { get; init; }

    /// <summary>The head of the chains as verified (up to the first problem).</summary>
    public required ConsentChainHead Head { get; init; }

    /// <summary>
    /// Whether the walk was checked against an anchored head. Without one, records cut off the end (when the
    /// store's counter was set back too) or a tail rewritten with recomputed hashes cannot be detected.
    /// </summary>
    public bool Anchored { get; init; }

    /// <summary>
    /// Whether only what was appended after the anchor was verified (<see cref="ConsentHistoryVerifier.VerifySinceAsync"/>):
    /// the part before it, the current-state index, the registry and the ledger were not re-checked.
    /// </summary>
    public bool Incremental { get; init; }

    /// <summary>What a check without an anchor cannot see, said wherever a result is shown.</summary>
    public const string NoAnchorCaveat =
        "no anchor given: records cut off the end, or a tail rewritten with recomputed hashes, cannot be detected";

    /// <inheritdoc />
    public override string ToString() => IsValid
        ? $"valid{(Incremental ? " since the anchored head" : string.Empty)}: {RecordsChecked} records, {LogEntriesChecked} proof-log entries, head {Head}" + (Anchored ? ", anchored" : "; " + NoAnchorCaveat)
        : $"{Problem} at sequence {FirstBadSequence}: {Message}";
}

/// <summary>The kinds of problem <see cref="ConsentHistoryVerifier"/> reports.</summary>
public enum ConsentVerificationProblem
{
    /// <summary>Nothing is wrong.</summary>
    None = 0,

    /// <summary>A record's fields (or the hash of the record before it) are not what its hash was computed over.</summary>
    ContentChanged,

    /// <summary>A record the chain says exists is not there.</summary>
    RecordMissing,

    /// <summary>A record is not where the chain puts it: inserted, moved or renumbered.</summary>
    OrderChanged,

    /// <summary>A record points at a kept notice text that is missing or was changed.</summary>
    NoticeChanged,

    /// <summary>The current-state index disagrees with the records (e.g. it points at an old grant).</summary>
    CurrentStateDisagrees,

    /// <summary>The anchored head is missing or has another hash: the history was rewritten up to it.</summary>
    AnchorMismatch,

    /// <summary>The store's own sequence counter is ahead of its highest record: records were cut off the end.</summary>
    Truncated,

    /// <summary>
    /// An entry of the proof log (the subject registry's and the ledger's chain) was changed, removed or
    /// inserted; <see cref="ConsentVerificationResult.FirstBadSequence"/> is the log's sequence.
    /// </summary>
    ProofLogChanged,

    /// <summary>
    /// The subject registry is not what the proof log registered: a row swapped, re-pointed, replaced, or
    /// deleted without an erasure. <see cref="ConsentVerificationResult.FirstBadSequence"/> is the subject's first record.
    /// </summary>
    SubjectRegistryChanged,

    /// <summary>
    /// The data-use ledger is not what the proof log recorded: a data use or a member added, removed or changed.
    /// <see cref="ConsentVerificationResult.FirstBadSequence"/> is the log's sequence of the data use.
    /// </summary>
    LedgerChanged,
}
