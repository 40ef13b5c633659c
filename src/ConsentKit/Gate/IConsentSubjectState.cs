namespace ConsentKit;

/// <summary>
/// A subject's current records by purpose, as the gate sees them: the recorder plans a choice from this
/// (which ancestor blocks a grant, which grants a withdrawal closes) without a second read of its own.
/// </summary>
/// <remarks>A capability resolved from DI (ConsentKit's gate provides it), never found by a type check.</remarks>
internal interface IConsentSubjectState
{
    /// <summary>
    /// The subject's current records by purpose index, from the gate's cache when it may be used, else from
    /// one store read (bounded by <see cref="ConsentKitOptions.StoreTimeout"/>) that also fills the cache.
    /// The array is shared: callers copy before changing it.
    /// </summary>
    /// <exception cref="ConsentStoreException">The store failed or timed out.</exception>
    ValueTask<ConsentRecord?[]> CurrentOfAsync(string subjectId, CancellationToken cancellationToken);
}
