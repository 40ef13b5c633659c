namespace ConsentKit;

/// <summary>One row of a store's current-state index: which record is the current one for a (subject, purpose) pair.</summary>
/// <param name="SubjectKey">The subject's pseudonymous key.</param>
/// <param name="PurposeId">The purpose.</param>
/// <param name="Sequence">The sequence of the record the index says is current.</param>
public readonly record struct ConsentCurrentPointer(ReadOnlyMemory<byte> SubjectKey, string PurposeId, long Sequence);
