namespace ConsentKit;

/// <summary>What an entry of the proof log (<see cref="ConsentProofLog"/>) says.</summary>
public enum ConsentProofEntryKind : byte
{
    /// <summary>A subject was added to the subject registry: its key and a commitment to its id, keyed by its secret.</summary>
    SubjectRegistered = 1,

    /// <summary>A subject was erased: its registry row was deleted on purpose.</summary>
    SubjectErased = 2,

    /// <summary>A data use (a training set, an export) started.</summary>
    DataUseStarted = 3,

    /// <summary>Subjects were added to a data use: their keys and the grants it used.</summary>
    DataUseSubjectsAdded = 4,

    /// <summary>A data use ended (completed or failed).</summary>
    DataUseEnded = 5,

    /// <summary>An artifact (a model, a fine-tune, an index) was built from data uses and other artifacts.</summary>
    ArtifactRecorded = 6,

    /// <summary>Something happened to an artifact: deployed, a deployment retired, retired, obligations acknowledged.</summary>
    ArtifactEvent = 7,
}

/// <summary>
/// One entry of a store's proof log exactly as the store keeps it: what the subject registry and the
/// data-use ledger did, chained like the records (docs/history-proof.md).
/// </summary>
public sealed record ConsentProofEntry
{
    /// <summary>The entry's place in the log: 1, 2, 3, … with no gap.</summary>
    public required long Sequence { get; init; }

    /// <summary>What the entry says.</summary>
    public required ConsentProofEntryKind Kind { get; init; }

    /// <summary>The canonical bytes of what it says (<see cref="ConsentProofLog"/> writes and reads them).</summary>
    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>The hash of the entry before it, or 32 zero bytes for the first.</summary>
    public required ReadOnlyMemory<byte> PreviousHash { get; init; }

    /// <summary>SHA-256 over the entry's encoding (<see cref="ConsentProofLog.ComputeHash"/>).</summary>
    public required ReadOnlyMemory<byte> Hash { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"log #{Sequence} {Kind} {Convert.ToHexStringLower(Hash.Span)}";
}

/// <summary>A row of a store's subject registry: the only link from a subject id to its key and secret.</summary>
public sealed record ConsentSubjectRegistration
{
    /// <summary>The subject id.</summary>
    public required string SubjectId { get; init; }

    /// <summary>The subject's pseudonymous key (16 bytes).</summary>
    public required ReadOnlyMemory<byte> SubjectKey { get; init; }

    /// <summary>The subject's secret (32 bytes).</summary>
    public required ReadOnlyMemory<byte> Secret { get; init; }
}
