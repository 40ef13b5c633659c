namespace ConsentKit.Testing;

/// <summary>
/// A store that passes every call to another: derive from it to wrap a store and change only the calls a
/// test (or a decorator such as a metrics or fault-injecting store) is about.
/// </summary>
/// <param name="inner">The store every call goes to.</param>
public class DelegatingConsentStore(IConsentStore inner) : IConsentStore
{
    /// <summary>The store every call goes to.</summary>
    protected IConsentStore Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <inheritdoc />
    public virtual ValueTask<ConsentRecord> AppendAsync(NewConsentRecord record, CancellationToken cancellationToken = default) =>
        Inner.AppendAsync(record, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<ConsentRecord>> AppendManyAsync(IReadOnlyList<NewConsentRecord> records, CancellationToken cancellationToken = default) =>
        Inner.AppendManyAsync(records, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<ConsentRecord?> AppendIfCurrentAsync(NewConsentRecord record, long expectedCurrentSequence, CancellationToken cancellationToken = default) =>
        Inner.AppendIfCurrentAsync(record, expectedCurrentSequence, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default) =>
        Inner.GetCurrentAsync(subjectId, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken = default) =>
        Inner.GetCurrentManyAsync(subjectIds, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<ConsentRecord>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default) =>
        Inner.GetHistoryAsync(subjectId, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<ConsentRecord>> GetChangesAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default) =>
        Inner.GetChangesAsync(afterSequence, maxCount, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<ConsentPurposeScan> ScanCurrentAsync(IReadOnlyCollection<string> purposeIds, CancellationToken cancellationToken = default) =>
        Inner.ScanCurrentAsync(purposeIds, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<long> GetLastSequenceAsync(CancellationToken cancellationToken = default) =>
        Inner.GetLastSequenceAsync(cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<ConsentChainEntry>> GetChainAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default) =>
        Inner.GetChainAsync(afterSequence, maxCount, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<ConsentProofEntry>> GetProofLogAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default) =>
        Inner.GetProofLogAsync(afterSequence, maxCount, cancellationToken);

    /// <inheritdoc />
    public virtual IAsyncEnumerable<ConsentSubjectRegistration> GetSubjectRegistryAsync(CancellationToken cancellationToken = default) =>
        Inner.GetSubjectRegistryAsync(cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<long> GetSequenceCounterAsync(CancellationToken cancellationToken = default) =>
        Inner.GetSequenceCounterAsync(cancellationToken);

    /// <inheritdoc />
    public virtual IAsyncEnumerable<ConsentCurrentPointer> GetCurrentStateAsync(CancellationToken cancellationToken = default) =>
        Inner.GetCurrentStateAsync(cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask SaveNoticesAsync(IReadOnlyList<ConsentNotice> notices, DateTimeOffset seenAt, CancellationToken cancellationToken = default) =>
        Inner.SaveNoticesAsync(notices, seenAt, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<ConsentNotice>> GetNoticesAsync(CancellationToken cancellationToken = default) =>
        Inner.GetNoticesAsync(cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<ConsentRecord>?> EraseSubjectAsync(string subjectId, DateTimeOffset erasedAt, CancellationToken cancellationToken = default) =>
        Inner.EraseSubjectAsync(subjectId, erasedAt, cancellationToken);
}
