using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>The default <see cref="IConsentReader"/>: decisions from the gate, the rest from the store under the gate's time-out.</summary>
internal sealed class ConsentReader(
    IConsentGate gate,
    IConsentStore store,
    ConsentPurposeCatalog catalog,
    IOptions<ConsentKitOptions> options,
    TimeProvider timeProvider,
    IDataUseLedger? ledger = null) : IConsentReader
{
    private readonly TimeSpan _timeout = options.Value.StoreTimeout;

    public async ValueTask<ConsentSubjectSnapshot> GetSnapshotAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        var decisions = new ConsentDecision[catalog.Count];
        for (var i = 0; i < decisions.Length; i++)
        {
            // The first check fills the gate's cache for every purpose; the rest are cache hits.
            decisions[i] = await gate.CheckAsync(subjectId, catalog[i].Id, cancellationToken);
        }

        return new ConsentSubjectSnapshot { SubjectId = subjectId, Decisions = decisions };
    }

    public async ValueTask<IReadOnlyList<ConsentHistoryEntry>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        var (history, notices) = await CallAsync(
            "consentkit.store.get_history",
            async ct => (await store.GetHistoryAsync(subjectId, ct), await store.GetNoticesAsync(ct)),
            cancellationToken);
        var byVersion = notices.ToDictionary(n => (n.PurposeId, n.NoticeVersion));
        return [.. history.Select(r => new ConsentHistoryEntry
        {
            Record = r,
            Notice = byVersion.GetValueOrDefault((r.PurposeId, r.NoticeVersion)) is { } n && n.WasShownFor(r) ? n : null,
        })];
    }

    public async ValueTask<IReadOnlyList<DataUse>> GetDataUsesAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        return ledger is null
            ? []
            : await CallAsync("consentkit.ledger.find_by_subject", ct => ledger.FindBySubjectAsync(subjectId, null, ct), cancellationToken);
    }

    public async ValueTask<IReadOnlyList<DataUse>> ListDataUsesAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        return ledger is null ? [] : await CallAsync("consentkit.ledger.list", ct => ledger.ListAsync(limit, ct), cancellationToken);
    }

    public async ValueTask<IReadOnlyList<DataUse>> FindAffectedDataUsesAsync(ConsentRecord withdrawal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(withdrawal);
        return ledger is null ? [] : await CallAsync("consentkit.ledger.find_affected", ct => ledger.FindAffectedByAsync(withdrawal, ct), cancellationToken);
    }

    private async ValueTask<T> CallAsync<T>(string activityName, Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        using var activity = ConsentKitInstrumentation.ActivitySource.StartActivity(activityName, ActivityKind.Internal);
        try
        {
            return await StoreTimeout.CallAsync(call, _timeout, timeProvider, cancellationToken);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConsentStoreException($"The consent store did not answer within StoreTimeout ({_timeout}).", ex);
        }
        catch (Exception ex) when (ex is not ConsentStoreException and not OperationCanceledException and not ArgumentException)
        {
            throw new ConsentStoreException("The consent store failed: " + ex.Message, ex);
        }
    }
}
