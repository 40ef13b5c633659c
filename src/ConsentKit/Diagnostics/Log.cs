using Microsoft.Extensions.Logging;

namespace ConsentKit;

/// <summary>Every log message of the core, with stable event ids. Raw subject ids appear only at Debug.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Consent was checked for the unregistered purpose '{PurposeId}'; denied.", EventName = "UnknownPurpose")]
    public static partial void UnknownPurpose(ILogger logger, string purposeId);

    [LoggerMessage(2, LogLevel.Error, "The consent store failed while checking purpose '{PurposeId}'; denied (fail closed).", EventName = "StoreUnavailable")]
    public static partial void StoreUnavailable(ILogger logger, string purposeId, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "Consent for subject '{SubjectId}' and purpose '{PurposeId}' read from the store: {Reason}.", EventName = "DecidedFromStore")]
    public static partial void DecidedFromStore(ILogger logger, string subjectId, string purposeId, ConsentDecisionReason reason);

    [LoggerMessage(4, LogLevel.Information, "Consent record #{Sequence} appended: {PurposeId} {Status} by {Method}.", EventName = "RecordAppended")]
    public static partial void RecordAppended(ILogger logger, long sequence, string purposeId, ConsentStatus status, ConsentMethod method);

    [LoggerMessage(5, LogLevel.Debug, "Consent record #{Sequence} is about subject '{SubjectId}'.", EventName = "RecordSubject")]
    public static partial void RecordSubject(ILogger logger, long sequence, string subjectId);

    [LoggerMessage(6, LogLevel.Error, "Consent change observer {Observer} failed for record #{Sequence}; the record stays appended.", EventName = "ObserverFailed")]
    public static partial void ObserverFailed(ILogger logger, string observer, long sequence, Exception exception);

    [LoggerMessage(7, LogLevel.Debug, "The consent cache reached {Limit} subjects; {Evicted} were evicted.", EventName = "CacheEvicted")]
    public static partial void CacheEvicted(ILogger logger, int limit, int evicted);

    [LoggerMessage(9, LogLevel.Information, "Consent filter for '{PurposeId}' completed: {ItemsKept} of {ItemsSeen} items kept from {SubjectsKept} subjects.", EventName = "FilterCompleted")]
    public static partial void FilterCompleted(ILogger logger, string purposeId, long itemsSeen, long itemsKept, long subjectsKept);

    [LoggerMessage(10, LogLevel.Warning, "Consent record #{Sequence} ({Status} of '{PurposeId}') affects {Count} data uses that already hold the subject's data: {DataUses}.", EventName = "WithdrawalAffectsDataUses")]
    public static partial void WithdrawalAffectsDataUses(ILogger logger, long sequence, ConsentStatus status, string purposeId, int count, string dataUses);

    [LoggerMessage(11, LogLevel.Warning, "The consent change feed has not caught up for {LagMs:0} ms: writes made by other instances may be unseen, so the gate reads the store on every check until it catches up.", EventName = "ChangeFeedBehind")]
    public static partial void ChangeFeedBehind(ILogger logger, double lagMs);

    [LoggerMessage(12, LogLevel.Information, "The consent change feed is current again after {GapMs:0} ms; the gate answers from its cache.", EventName = "ChangeFeedCurrent")]
    public static partial void ChangeFeedCurrent(ILogger logger, double gapMs);

    [LoggerMessage(13, LogLevel.Warning, "Reading the consent change feed failed; retrying at every poll.", EventName = "ChangeFeedReadFailed")]
    public static partial void ChangeFeedReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(14, LogLevel.Warning, "The consent change feed was {Records} records behind, too many to page through; the whole gate cache was dropped.", EventName = "ChangeFeedSkipped")]
    public static partial void ChangeFeedSkipped(ILogger logger, long records);

    [LoggerMessage(15, LogLevel.Warning, "Listening for consent change notifications stopped; the change feed is polled only.", EventName = "ChangeNotificationsFailed")]
    public static partial void ChangeNotificationsFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "A consent record was rejected: {Problem}", EventName = "RecordRejected")]
    public static partial void RecordRejected(ILogger logger, string problem);

    [LoggerMessage(16, LogLevel.Error, "The consent store contradicts itself at record {Sequence} while checking purpose '{PurposeId}' (changed outside ConsentKit?); denied, and every read of it is denied until it is repaired. Run consentkit verify to find every problem.", EventName = "StoreIntegrityViolation")]
    public static partial void StoreIntegrityViolation(ILogger logger, long? sequence, string purposeId, Exception exception);

    /// <summary>
    /// A read that failed: a store that contradicts itself is logged as such (once per record, counted and
    /// kept by <paramref name="monitor"/> for the health check), anything else as unavailable.
    /// </summary>
    public static void StoreFailed(ILogger logger, string purposeId, Exception exception, ConsentIntegrityMonitor? monitor)
    {
        if (exception is ConsentStoreIntegrityException integrity)
        {
            if (monitor?.ReportViolation(integrity) ?? true)
            {
                StoreIntegrityViolation(logger, integrity.Sequence, purposeId, exception);
            }
        }
        else
        {
            StoreUnavailable(logger, purposeId, exception);
        }
    }

    [LoggerMessage(17, LogLevel.Information, "A subject was erased; {Withdrawals} withdrawal(s) recorded on the way.", EventName = "SubjectErased")]
    public static partial void SubjectErased(ILogger logger, int withdrawals);

    [LoggerMessage(18, LogLevel.Warning, "The notices could not be kept at start-up (the store is unavailable); they are saved before the first record is written.", EventName = "NoticesNotSaved")]
    public static partial void NoticesNotSaved(ILogger logger, Exception exception);

    [LoggerMessage(19, LogLevel.Critical, "The consent history failed verification: {Problem} at sequence {Sequence}. {Message} Every consent check is denied until a verification passes.", EventName = "HistoryVerificationFailed")]
    public static partial void HistoryVerificationFailed(ILogger logger, ConsentVerificationProblem problem, long? sequence, string? message);

    [LoggerMessage(20, LogLevel.Information, "The consent history verified: {Records} records, head {Head} (anchored before: {Anchor}).", EventName = "HistoryVerified")]
    public static partial void HistoryVerified(ILogger logger, long records, string head, string? anchor);

    [LoggerMessage(21, LogLevel.Error, "The consent history could not be verified (the store or the anchor could not be read); it is tried again after the interval.", EventName = "HistoryVerificationError")]
    public static partial void HistoryVerificationError(ILogger logger, Exception exception);

    [LoggerMessage(22, LogLevel.Warning, "{Count} model obligation(s) are past their deadline, in {Artifacts}: rebuild without the people owed, or retire.", EventName = "ModelObligationsOverdue")]
    public static partial void ModelObligationsOverdue(ILogger logger, int count, string artifacts);

    [LoggerMessage(23, LogLevel.Error, "The model obligations could not be checked; tried again after the interval.", EventName = "ModelObligationsCheckFailed")]
    public static partial void ModelObligationsCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(24, LogLevel.Warning, "The OpenLineage {EventType} event of {JobName} (run {RunId}) could not be delivered; the write it reports stands.", EventName = "OpenLineageDeliveryFailed")]
    public static partial void OpenLineageDeliveryFailed(ILogger logger, ConsentKit.OpenLineage.OpenLineageEventType eventType, string jobName, Guid runId, Exception exception);
}
