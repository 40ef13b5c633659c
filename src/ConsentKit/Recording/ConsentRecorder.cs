using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConsentKit;

/// <summary>The default <see cref="IConsentRecorder"/>.</summary>
internal sealed class ConsentRecorder : IConsentRecorder
{
    private readonly SubjectWriteLocks _locks = new();
    private readonly IConsentStore _store;
    private readonly ConsentPurposeCatalog _catalog;
    private readonly IConsentCacheInvalidator _cache;
    private readonly IConsentSubjectState _state;
    private readonly ConsentDecisionService _decisions;
    private readonly IConsentChangeObserver[] _observers;
    private readonly ConsentObserverRelay? _relayed;
    private readonly TimeProvider _timeProvider;
    private readonly ConsentKitInstrumentation _instrumentation;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly ConsentNoticeKeeper _notices;

    /// <summary>Creates the recorder.</summary>
    /// <param name="store">Where records are appended.</param>
    /// <param name="catalog">The registered purposes.</param>
    /// <param name="cache">The gate's cache, invalidated before each write returns.</param>
    /// <param name="observers">Told about each appended record.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="instrumentation">Metrics; a private meter when <see langword="null"/>.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="lifetime">The host's lifetime: observers get its stopping token, not the caller's.</param>
    /// <param name="state">The gate's view of a subject's current records, which a choice is planned from.</param>
    /// <param name="decisions">The decision service: whether an ancestor blocks a grant, which grants a withdrawal closes.</param>
    /// <param name="relayed">Registered by the relay: the observers are its subscribers, not called here.</param>
    public ConsentRecorder(
        IConsentStore store,
        ConsentPurposeCatalog catalog,
        IConsentCacheInvalidator cache,
        IConsentSubjectState state,
        ConsentDecisionService decisions,
        IEnumerable<IConsentChangeObserver>? observers = null,
        TimeProvider? timeProvider = null,
        ConsentKitInstrumentation? instrumentation = null,
        ILogger<ConsentRecorder>? logger = null,
        IHostApplicationLifetime? lifetime = null,
        ConsentObserverRelay? relayed = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(decisions);
        _store = store;
        _catalog = catalog;
        _cache = cache;
        _state = state;
        _decisions = decisions;
        // With the relay (ConsentKit.Relay) the observers are its subscribers: called at least once, by whichever
        // instance holds the lease, and not here as well.
        _observers = relayed is null ? observers?.ToArray() ?? [] : [];
        _relayed = relayed;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _instrumentation = instrumentation ?? new ConsentKitInstrumentation();
        _logger = logger ?? NullLogger<ConsentRecorder>.Instance;
        _stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        _notices = ConsentNoticeKeeper.For(store, catalog, _timeProvider);
    }

    /// <inheritdoc />
    public ValueTask<ConsentRecord> GrantAsync(string subjectId, string purposeId, ConsentEvidence evidence, CancellationToken cancellationToken = default) =>
        RecordAsync(subjectId, purposeId, ConsentStatus.Granted, evidence, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ConsentRecord> RefuseAsync(string subjectId, string purposeId, ConsentEvidence evidence, CancellationToken cancellationToken = default) =>
        RecordAsync(subjectId, purposeId, ConsentStatus.Refused, evidence, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ConsentRecord> WithdrawAsync(string subjectId, string purposeId, ConsentEvidence evidence, CancellationToken cancellationToken = default) =>
        RecordAsync(subjectId, purposeId, ConsentStatus.Withdrawn, evidence, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentRecord>> RecordPrivacySignalAsync(
        string subjectId, IReadOnlyCollection<string> purposeIds, string source, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        ArgumentNullException.ThrowIfNull(purposeIds);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ConsentRecordRules.ValidateSource(source, nameof(source));
        cancellationToken.ThrowIfCancellationRequested();

        var covered = new List<int>();
        for (var i = 0; i < _catalog.Count; i++)
        {
            var id = _catalog[i].Id;
            if (purposeIds.Any(root => root is not null && ConsentPurposeId.IsSelfOrDescendant(id, root)))
            {
                covered.Add(i);
            }
        }

        if (covered.Count == 0)
        {
            return [];
        }

        ConsentRecord?[] current = [.. await CurrentOfAsync(subjectId, cancellationToken)];
        var recorded = new List<ConsentRecord>();
        var now = _timeProvider.GetUtcNow();
        foreach (var index in covered)
        {
            if (current[index] is not null || _decisions.HasGrantAtOrBelow(current, index))
            {
                continue;
            }

            var refusal = new NewConsentRecord(subjectId, _catalog[index].Id, ConsentStatus.Refused, _catalog[index].NoticeVersion, now, null, ConsentMethod.PrivacySignal, source);

            // "No choice yet" is the store's to check: a choice that landed since the read above wins.
            await _notices.EnsureSavedAsync(cancellationToken);
            if (await _store.AppendIfCurrentAsync(refusal, expectedCurrentSequence: 0, cancellationToken) is not { } stored)
            {
                _cache.Invalidate(subjectId);
                continue;
            }

            current[index] = stored;
            recorded.Add(stored);
        }

        if (recorded.Count > 0)
        {
            _cache.Invalidate(subjectId);
            await AfterWriteAsync(recorded);
        }

        return recorded;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> WithdrawAllAsync(string subjectId, ConsentEvidence evidence, CancellationToken cancellationToken = default) =>
        RecordAllAsync(subjectId, evidence, refuseUnchosen: false, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> RefuseAllAsync(string subjectId, ConsentEvidence evidence, CancellationToken cancellationToken = default) =>
        RecordAllAsync(subjectId, evidence, refuseUnchosen: true, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<ConsentErasureResult> EraseSubjectAsync(string subjectId, ConsentEvidence evidence, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        ValidateEvidence(evidence);
        cancellationToken.ThrowIfCancellationRequested();

        // The person's own withdrawals first, while the subject id still resolves: observers (withdrawal
        // impact) see them like any other withdrawal. Then the store shreds the link, closing any grant
        // that landed in between with a withdrawal of its own, in the same transaction.
        var withdrawn = await RecordAllAsync(subjectId, evidence, refuseUnchosen: false, cancellationToken);
        var closing = await _store.EraseSubjectAsync(subjectId, _timeProvider.GetUtcNow(), cancellationToken);
        _cache.Invalidate(subjectId);
        if (closing is { Count: > 0 })
        {
            await AfterWriteAsync(closing);
        }

        Log.SubjectErased(_logger, withdrawn.Count + (closing?.Count ?? 0));
        return new ConsentErasureResult
        {
            Erased = closing is not null,
            Withdrawals = [.. withdrawn, .. closing ?? []],
        };
    }

    private async ValueTask<IReadOnlyList<ConsentRecord>> RecordAllAsync(string subjectId, ConsentEvidence evidence, bool refuseUnchosen, CancellationToken cancellationToken)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        ValidateEvidence(evidence);
        cancellationToken.ThrowIfCancellationRequested();

        IReadOnlyList<ConsentRecord> stored;
        using (await _locks.AcquireAsync(subjectId, cancellationToken))
        {
            stored = await AppendAllAsync(subjectId, evidence, refuseUnchosen, cancellationToken);
        }

        if (stored.Count > 0)
        {
            await AfterWriteAsync(stored);
        }

        return stored;
    }

    /// <summary>The part of <see cref="RecordAllAsync"/> that reads the state and appends, under the subject's lock.</summary>
    private async ValueTask<IReadOnlyList<ConsentRecord>> AppendAllAsync(string subjectId, ConsentEvidence evidence, bool refuseUnchosen, CancellationToken cancellationToken)
    {
        var current = await CurrentOfAsync(subjectId, cancellationToken);
        var now = _timeProvider.GetUtcNow();
        var batch = new List<NewConsentRecord>();
        for (var i = 0; i < _catalog.Count; i++)
        {
            var status = current[i] switch
            {
                { Status: ConsentStatus.Granted } => ConsentStatus.Withdrawn,
                null when refuseUnchosen => ConsentStatus.Refused,
                _ => (ConsentStatus?)null,
            };
            if (status is { } s)
            {
                batch.Add(new NewConsentRecord(
                    subjectId, _catalog[i].Id, s, current[i]?.NoticeVersion ?? _catalog[i].NoticeVersion,
                    now, null, evidence.Method, evidence.Source, evidence.Metadata));
            }
        }

        if (batch.Count == 0)
        {
            return [];
        }

        await _notices.EnsureSavedAsync(cancellationToken);
        var stored = await _store.AppendManyAsync(batch, cancellationToken);
        _cache.Invalidate(subjectId);
        return stored;
    }

    /// <summary>
    /// The subject's current records by purpose, from the gate's view (its cache, or one time-out bounded
    /// store read that fills it). The array is the cache's own: a caller that changes it copies it first.
    /// </summary>
    private async ValueTask<ConsentRecord?[]> CurrentOfAsync(string subjectId, CancellationToken cancellationToken)
    {
        try
        {
            return await _state.CurrentOfAsync(subjectId, cancellationToken);
        }
        catch (ConsentStoreException ex)
        {
            throw new ConsentStoreException("The subject's current choices could not be read, so nothing was recorded. Try again.", ex);
        }
    }

    private static void ValidateEvidence(ConsentEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (!Enum.IsDefined(evidence.Method))
        {
            throw new ArgumentOutOfRangeException("evidence.Method", evidence.Method, "Unknown consent method.");
        }

        ConsentRecordRules.ValidateSource(evidence.Source, "evidence.Source");
        ConsentRecordRules.ValidateMetadata(evidence.Metadata, "evidence.Metadata");
    }

    private async ValueTask<ConsentRecord> RecordAsync(
        string subjectId, string purposeId, ConsentStatus status, ConsentEvidence evidence, CancellationToken cancellationToken)
    {
        var draft = Validate(subjectId, purposeId, status, evidence);
        cancellationToken.ThrowIfCancellationRequested();

        IReadOnlyList<ConsentRecord> stored;
        using (await _locks.AcquireAsync(draft.SubjectId, cancellationToken))
        {
            var batch = await PlanAsync(draft, cancellationToken);
            await _notices.EnsureSavedAsync(cancellationToken);
            using (var activity = ConsentKitInstrumentation.ActivitySource.StartActivity("consentkit.store.append", ActivityKind.Internal))
            {
                activity?.SetTag("consentkit.purpose", draft.PurposeId);
                stored = batch.Count == 1 ? [await _store.AppendAsync(draft, cancellationToken)] : await _store.AppendManyAsync(batch, cancellationToken);
            }

            // Before the next choice of this subject plans, and before returning: the very next check must see this write.
            _cache.Invalidate(draft.SubjectId);
        }

        await AfterWriteAsync(stored);
        return stored[0];
    }

    private async ValueTask AfterWriteAsync(IReadOnlyList<ConsentRecord> stored)
    {
        foreach (var record in stored)
        {
            _instrumentation.RecordAppended(record);
            Log.RecordAppended(_logger, record.Sequence, record.PurposeId, record.Status, record.Method);
            Log.RecordSubject(_logger, record.Sequence, record.SubjectId);
        }

        // A relay in this process need not wait for its next poll (or a notification) to see this write.
        _relayed?.Appended();

        // The write is acknowledged: a caller that goes away (a closed browser tab) must not cancel what
        // follows from it, such as finding the training sets a withdrawal affects. Only shutdown may.
        foreach (var record in stored)
        {
            foreach (var observer in _observers)
            {
                try
                {
                    await observer.OnRecordedAsync(record, _stopping);
                }
                catch (Exception ex)
                {
                    // The record is durable and acknowledged; an observer's failure must not suggest otherwise.
                    Log.ObserverFailed(_logger, observer.GetType().Name, record.Sequence, ex);
                }
            }
        }
    }

    /// <summary>
    /// What one choice writes. A grant under a refused, withdrawn or expired ancestor is refused (it could
    /// not take effect). A refusal or withdrawal also records the same for every descendant whose latest
    /// record is a grant — valid or merely blocked — in the same all-or-none append, so turning the ancestor
    /// back on never revives a forgotten grant. A privacy signal never cascades: it only ever fills in
    /// where there is no choice.
    /// </summary>
    private async ValueTask<IReadOnlyList<NewConsentRecord>> PlanAsync(NewConsentRecord draft, CancellationToken cancellationToken)
    {
        var index = _catalog.IndexOf(draft.PurposeId);
        var needsState = draft.Status == ConsentStatus.Granted
            ? !_catalog.AncestorsOf(index).IsEmpty
            : _catalog.HasDescendants(index) && draft.Method != ConsentMethod.PrivacySignal;
        if (!needsState)
        {
            return [draft];
        }

        // The gate's view (its cache, bounded by StoreTimeout): a subject whose state is settled costs no
        // store read. A store it cannot read stops the choice rather than record one that may not hold.
        var current = await CurrentOfAsync(draft.SubjectId, cancellationToken);
        if (draft.Status == ConsentStatus.Granted)
        {
            if (_decisions.AncestorBlocking(current, index, draft.RecordedAt) is { } blocking)
            {
                var blocker = blocking.Record?.PurposeId ?? blocking.PurposeId!;
                Log.RecordRejected(_logger, $"a grant of '{draft.PurposeId}' under '{blocker}' ({blocking.Reason})");
                throw new ConsentBlockedByAncestorException(draft.PurposeId, blocker, blocking.Reason);
            }

            return [draft];
        }

        var batch = new List<NewConsentRecord> { draft };
        foreach (var i in _decisions.GrantsClosedWith(current, index))
        {
            var grant = current[i]!;
            var metadata = new Dictionary<string, string>(draft.Metadata, StringComparer.Ordinal);
            if (metadata.Count < ConsentRecordRules.MaxMetadataEntries)
            {
                metadata.TryAdd("cascaded-from", draft.PurposeId);
            }

            batch.Add(new NewConsentRecord(
                draft.SubjectId, _catalog[i].Id, draft.Status, grant.NoticeVersion, draft.RecordedAt, null, draft.Method, draft.Source, metadata));
        }

        return batch;
    }

    private NewConsentRecord Validate(string subjectId, string purposeId, ConsentStatus status, ConsentEvidence evidence)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        ArgumentNullException.ThrowIfNull(purposeId);
        if (!_catalog.TryGetPurpose(purposeId, out var purpose))
        {
            throw new ConsentPurposeNotFoundException(purposeId);
        }

        ValidateEvidence(evidence);
        string noticeVersion;
        DateTimeOffset? expiresAt = null;
        var now = _timeProvider.GetUtcNow();
        if (status == ConsentStatus.Granted)
        {
            if (!evidence.Method.IsExplicitSubjectAct())
            {
                Log.RecordRejected(_logger, $"a grant of '{purpose.Id}' by {evidence.Method}");
                throw new ArgumentException(
                    $"A grant must be the subject's own explicit act (SubjectUserInterface or SubjectApiCall); '{evidence.Method}' can only refuse or withdraw.",
                    "evidence.Method");
            }

            if (!string.Equals(evidence.NoticeVersion, purpose.NoticeVersion, StringComparison.Ordinal))
            {
                throw new ConsentNoticeOutdatedException(purpose.Id, evidence.NoticeVersion, purpose.NoticeVersion);
            }

            noticeVersion = purpose.NoticeVersion;

            // A lifetime that reaches past the calendar's end means "never expires", not an overflow.
            expiresAt = ConsentDecisionService.ExpiryOfNewGrant(purpose, now);
        }
        else
        {
            noticeVersion = evidence.NoticeVersion ?? purpose.NoticeVersion;
            ConsentRecordRules.ValidateNoticeVersion(noticeVersion, "evidence.NoticeVersion");
        }

        return new NewConsentRecord(subjectId, purpose.Id, status, noticeVersion, now, expiresAt, evidence.Method, evidence.Source, evidence.Metadata);
    }
}
