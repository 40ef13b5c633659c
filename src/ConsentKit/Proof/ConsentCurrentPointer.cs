namespace ConsentKit.Storage;

/// <summary>One row of a store's current-state index: which record is the current one for a (subject, purpose) pair.</summary>
public readonly record struct ConsentCurrentPointer
{
    /// <summary>The subject's pseudonymous key.</summary>
    public required ReadOnlyMemory<byte> SubjectKey { get; init; }

    /// <summary>The purpose.</summary>
    public required string PurposeId { get; init; }

    /// <summary>The sequence of the record the index says is current.</summary>
    public required long Sequence { get; init; }
}
