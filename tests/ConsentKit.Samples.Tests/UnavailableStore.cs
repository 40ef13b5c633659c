namespace ConsentKit.Samples.Tests;

/// <summary>A consent store whose database cannot be reached: every call fails as the real stores do then.</summary>
internal sealed class UnavailableStore : IConsentStore
{
    public ValueTask<ConsentRecord> AppendAsync(NewConsentRecord record, CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<IReadOnlyList<ConsentRecord>> AppendManyAsync(IReadOnlyList<NewConsentRecord> records, CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<IReadOnlyList<ConsentRecord>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<ConsentRecord?> AppendIfCurrentAsync(NewConsentRecord record, long expectedCurrentSequence, CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<IReadOnlyList<ConsentRecord>> GetChangesAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<long> GetLastSequenceAsync(CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<ConsentPurposeScan> ScanCurrentAsync(IReadOnlyCollection<string> purposeIds, CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<IReadOnlyList<ConsentChainEntry>> GetChainAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default) => throw Down();

    public IAsyncEnumerable<ConsentCurrentPointer> GetCurrentStateAsync(CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<IReadOnlyList<ConsentProofEntry>> GetProofLogAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default) => throw Down();

    public IAsyncEnumerable<ConsentSubjectRegistration> GetSubjectRegistryAsync(CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<long> GetSequenceCounterAsync(CancellationToken cancellationToken = default) => throw Down();

    public ValueTask SaveNoticesAsync(IReadOnlyList<ConsentNotice> notices, DateTimeOffset seenAt, CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<IReadOnlyList<ConsentNotice>> GetNoticesAsync(CancellationToken cancellationToken = default) => throw Down();

    public ValueTask<IReadOnlyList<ConsentRecord>?> EraseSubjectAsync(string subjectId, DateTimeOffset erasedAt, CancellationToken cancellationToken = default) => throw Down();

    private static ConsentStoreException Down() => new("The consent database is unreachable.");
}
