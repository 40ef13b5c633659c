namespace ConsentKit;

/// <summary>
/// The one place that decides whether a subject's data may be used for a purpose.
/// </summary>
/// <remarks>
/// Everything denies by default: no record, a refusal or withdrawal (of the purpose or a parent), an
/// expired grant, a grant under an older notice, an unregistered purpose and a failing store all deny.
/// Middleware, attributes and pipeline filters ask the gate; none of them carries rules of its own.
/// </remarks>
public interface IConsentGate
{
    /// <summary>Decides whether <paramref name="subjectId"/>'s data may be used for <paramref name="purposeId"/>.</summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="cancellationToken">Cancels the check; a cancelled check throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The decision. A store failure or time-out is a denial, never an exception.</returns>
    ValueTask<ConsentDecision> CheckAsync(string subjectId, string purposeId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Decides for many subjects at once with one bulk store read, by the same rules as
    /// <see cref="CheckAsync"/>. For pipelines: it reads the store directly (always fresh) and leaves the
    /// per-subject cache alone, so a batch job does not push out the subjects a web app is serving.
    /// </summary>
    /// <param name="subjectIds">The subjects; duplicates and malformed ids are allowed (malformed ids have no record).</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A decision for every distinct subject. A store failure denies them all with <see cref="ConsentDecisionReason.StoreUnavailable"/>.</returns>
    ValueTask<IReadOnlyDictionary<string, ConsentDecision>> CheckManyAsync(
        IReadOnlyCollection<string> subjectIds, string purposeId, CancellationToken cancellationToken = default);
}

/// <summary>Drops what the gate remembers about a subject, so the next check reads the store.</summary>
/// <remarks>
/// <see cref="IConsentRecorder"/> calls this before a write returns. A store shared by several
/// processes calls it when it learns of a write made elsewhere.
/// </remarks>
public interface IConsentCacheInvalidator
{
    /// <summary>Forgets the cached state of <paramref name="subjectId"/>.</summary>
    /// <param name="subjectId">The subject.</param>
    void Invalidate(string subjectId);

    /// <summary>Forgets the cached state of every subject.</summary>
    void InvalidateAll();
}
