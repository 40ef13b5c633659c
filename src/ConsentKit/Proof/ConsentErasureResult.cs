namespace ConsentKit;

/// <summary>What <see cref="IConsentRecorder.EraseSubjectAsync"/> did.</summary>
public sealed class ConsentErasureResult
{
    /// <summary>Whether the store knew the subject (and now no longer links anything to them).</summary>
    public required bool Erased { get; init; }

    /// <summary>The withdrawals recorded on the way: one per purpose that was granted.</summary>
    public required IReadOnlyList<ConsentRecord> Withdrawals { get; init; }
}
