namespace ConsentKit.Storage;

/// <summary>
/// Records which subjects' data went into which data use, under which consent. Implemented by the
/// consent stores; entries are added, never removed.
/// </summary>
public interface IDataUseLedger
{
    /// <summary>Starts a data use.</summary>
    /// <param name="dataUse">The data use.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">The id is already taken, or a field is malformed.</exception>
    ValueTask<DataUse> StartAsync(NewDataUse dataUse, CancellationToken cancellationToken = default);

    /// <summary>Adds subjects whose data went in. A subject already recorded for the use is kept as it was.</summary>
    /// <param name="dataUseId">The data use.</param>
    /// <param name="subjects">The subjects and the grants that allowed them.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask AddSubjectsAsync(string dataUseId, IReadOnlyList<DataUseSubject> subjects, CancellationToken cancellationToken = default);

    /// <summary>Marks a running data use as completed.</summary>
    /// <param name="dataUseId">The data use.</param>
    /// <param name="endedAt">When it completed.</param>
    /// <param name="itemsSeen">How many items it looked at.</param>
    /// <param name="itemsKept">How many items went in.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<DataUse> CompleteAsync(string dataUseId, DateTimeOffset endedAt, long itemsSeen, long itemsKept, CancellationToken cancellationToken = default);

    /// <summary>Marks a running data use as failed.</summary>
    /// <param name="dataUseId">The data use.</param>
    /// <param name="endedAt">When it stopped.</param>
    /// <param name="reason">Why.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<DataUse> FailAsync(string dataUseId, DateTimeOffset endedAt, string reason, CancellationToken cancellationToken = default);

    /// <summary>A data use by id, or <see langword="null"/>.</summary>
    /// <param name="dataUseId">The id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<DataUse?> GetAsync(string dataUseId, CancellationToken cancellationToken = default);

    /// <summary>The most recent data uses, newest first.</summary>
    /// <param name="limit">At most this many.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<DataUse>> ListAsync(int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every subject a data use included, with the grant that let them in, in grant order. An erased subject
    /// is listed as <see cref="ConsentRecord.ErasedSubjectId"/> of its key, as its records are. Empty for an
    /// unknown id.
    /// </summary>
    /// <param name="dataUseId">The data use.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<DataUseSubject>> GetSubjectsAsync(string dataUseId, CancellationToken cancellationToken = default);

    /// <summary>The data uses that included a subject, oldest first, optionally for one purpose.</summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="purposeId">Only uses for this purpose; <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<DataUse>> FindBySubjectAsync(string subjectId, string? purposeId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The data uses a withdrawal (or refusal) affects: those that included the subject, for the record's
    /// purpose or one of its descendants, under a grant recorded before it. Oldest first.
    /// </summary>
    /// <param name="record">The withdrawal or refusal.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<DataUse>> FindAffectedByAsync(ConsentRecord record, CancellationToken cancellationToken = default);
}
