using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConsentKit;

/// <summary>The default <see cref="IConsentRecorder"/>.</summary>
public sealed class ConsentRecorder : IConsentRecorder
{
    private readonly IConsentStore _store;
    private readonly ConsentPurposeCatalog _catalog;
    private readonly IConsentCacheInvalidator _cache;
    private readonly IConsentChangeObserver[] _observers;
    private readonly TimeProvider _timeProvider;
    private readonly ConsentKitInstrumentation _instrumentation;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;

    /// <summary>Creates the recorder.</summary>
    /// <param name="store">Where records are appended.</param>
    /// <param name="catalog">The registered purposes.</param>
    /// <param name="cache">The gate's cache, invalidated before each write returns.</param>
    /// <param name="observers">Told about each appended record.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="instrumentation">Metrics; a private meter when <see langword="null"/>.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="lifetime">The host's lifetime: observers get its stopping token, not the caller's.</param>
    public ConsentRecorder(
        IConsentStore store,
        ConsentPurposeCatalog catalog,
        IConsentCacheInvalidator cache,
        IEnumerable<IConsentChangeObserver>? observers = null,
        TimeProvider? timeProvider = null,
        ConsentKitInstrumentation? instrumentation = null,
        ILogger<ConsentRecorder>? logger = null,
        IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(cache);
        _store = store;
        _catalog = catalog;
        _cache = cache;
        _observers = observers?.ToArray() ?? [];
        _timeProvider = timeProvider ?? TimeProvider.System;
        _instrumentation = instrumentation ?? new ConsentKitInstrumentation();
        _logger = logger ?? NullLogger<ConsentRecorder>.Instance;
        _stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
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

    private async ValueTask<ConsentRecord> RecordAsync(
        string subjectId, string purposeId, ConsentStatus status, ConsentEvidence evidence, CancellationToken cancellationToken)
    {
        var draft = Validate(subjectId, purposeId, status, evidence);
        cancellationToken.ThrowIfCancellationRequested();

        ConsentRecord stored;
        using (var activity = ConsentKitInstrumentation.ActivitySource.StartActivity("consentkit.store.append", ActivityKind.Internal))
        {
            activity?.SetTag("consentkit.purpose", draft.PurposeId);
            stored = await _store.AppendAsync(draft, cancellationToken);
        }

        // Before returning: the very next check must see this write.
        _cache.Invalidate(stored.SubjectId);
        _instrumentation.RecordAppended(stored);
        Log.RecordAppended(_logger, stored.Sequence, stored.PurposeId, stored.Status, stored.Method);
        Log.RecordSubject(_logger, stored.Sequence, stored.SubjectId);

        // The write is acknowledged: a caller that goes away (a closed browser tab) must not cancel what
        // follows from it, such as finding the training sets a withdrawal affects. Only shutdown may.
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnRecordedAsync(stored, _stopping);
            }
            catch (Exception ex)
            {
                // The record is durable and acknowledged; an observer's failure must not suggest otherwise.
                Log.ObserverFailed(_logger, observer.GetType().Name, stored.Sequence, ex);
            }
        }

        return stored;
    }

    private NewConsentRecord Validate(string subjectId, string purposeId, ConsentStatus status, ConsentEvidence evidence)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        ArgumentNullException.ThrowIfNull(purposeId);
        if (!_catalog.TryGetPurpose(purposeId, out var purpose))
        {
            throw new ConsentPurposeNotFoundException(purposeId);
        }

        ArgumentNullException.ThrowIfNull(evidence);
        if (!Enum.IsDefined(evidence.Method))
        {
            throw new ArgumentOutOfRangeException("evidence.Method", evidence.Method, "Unknown consent method.");
        }

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
            expiresAt = purpose.Lifetime is { } lifetime && lifetime.Ticks <= DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks ? now + lifetime : null;
        }
        else
        {
            noticeVersion = evidence.NoticeVersion ?? purpose.NoticeVersion;
            ConsentRecordRules.ValidateNoticeVersion(noticeVersion, "evidence.NoticeVersion");
        }

        ConsentRecordRules.ValidateSource(evidence.Source, "evidence.Source");
        ConsentRecordRules.ValidateMetadata(evidence.Metadata, "evidence.Metadata");
        return new NewConsentRecord(subjectId, purpose.Id, status, noticeVersion, now, expiresAt, evidence.Method, evidence.Source, evidence.Metadata);
    }
}
