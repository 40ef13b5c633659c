namespace ConsentKit;

/// <summary>Where a data use stands.</summary>
public enum DataUseStatus
{
    /// <summary>The run is consuming data now (or stopped without saying so: a crashed process).</summary>
    Running = 1,

    /// <summary>The run finished; every subject whose data went in is on the record.</summary>
    Completed = 2,

    /// <summary>The run stopped before the end: a store failure, a cancellation or an abandoned enumeration.
    /// The subjects recorded up to then did go in.</summary>
    Failed = 3,
}

/// <summary>A data use about to start.</summary>
public sealed record NewDataUse
{
    /// <summary>A unique id, e.g. a GUID or <c>genai-model-v7-2026-11-26</c> (at most 128 characters).</summary>
    public required string Id { get; init; }

    /// <summary>The purpose the data is used for.</summary>
    public required string PurposeId { get; init; }

    /// <summary>What the run builds, e.g. "genai-model-v7 training set" (at most 512 characters).</summary>
    public required string Description { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }
}

/// <summary>
/// One run that consumed people's data for a purpose, such as building a training set: the trace that
/// lets a withdrawal show which sets already hold that person's data.
/// </summary>
public sealed record DataUse
{
    /// <summary>The id.</summary>
    public required string Id { get; init; }

    /// <summary>The purpose the data was used for.</summary>
    public required string PurposeId { get; init; }

    /// <summary>What the run built.</summary>
    public required string Description { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it completed or failed; <see langword="null"/> while running.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Where it stands.</summary>
    public required DataUseStatus Status { get; init; }

    /// <summary>How many subjects' data went in.</summary>
    public long SubjectCount { get; init; }

    /// <summary>How many items the run looked at; known once it ended.</summary>
    public long? ItemsSeen { get; init; }

    /// <summary>How many items went in; known once it ended.</summary>
    public long? ItemsKept { get; init; }

    /// <summary>Why it failed, when it did.</summary>
    public string? FailureReason { get; init; }
}

/// <summary>A subject whose data went into a data use, with the consent record that allowed it.</summary>
public sealed record DataUseSubject
{
    /// <summary>The subject.</summary>
    public required string SubjectId { get; init; }

    /// <summary>The sequence of the grant that allowed the use.</summary>
    public required long ConsentSequence { get; init; }
}
