namespace ConsentKit.Storage;

/// <summary>
/// Append-only storage of consent records.
/// </summary>
/// <remarks>
/// <para>
/// Implementations never update or delete a record. The current state of a (subject, purpose) pair is
/// the record with the highest sequence for that pair. An append that returned must survive a crash
/// of the process.
/// </para>
/// <para>
/// Every implementation should pass the conformance suite in the <c>ConsentKit.Testing</c> package.
/// Callers other than ConsentKit itself rarely need this interface: record consent through
/// <see cref="IConsentRecorder"/> and decide through <see cref="IConsentGate"/>.
/// </para>
/// </remarks>
public interface IConsentStore
{
    /// <summary>Appends a record and returns it with the sequence the store assigned.</summary>
    /// <param name="record">The record to append.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ConsentRecord> AppendAsync(NewConsentRecord record, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends several records as one unit — all or none — in the given order, and returns them with
    /// their sequences. Stores that can, do this in one durable transaction (imports, batch jobs).
    /// </summary>
    /// <param name="records">The records to append.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentRecord>> AppendManyAsync(IReadOnlyList<NewConsentRecord> records, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a record only if its (subject, purpose) pair's current record is still the one the caller
    /// saw: the store checks and appends as one atomic step, so a write that landed in between wins and
    /// nothing is written.
    /// </summary>
    /// <param name="record">The record to append.</param>
    /// <param name="expectedCurrentSequence">
    /// The sequence of the pair's current record the caller saw, or <c>0</c> for "the pair has no record yet".
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored record, or <see langword="null"/> when the pair's current record was another one (nothing written).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="expectedCurrentSequence"/> is negative.</exception>
    ValueTask<ConsentRecord?> AppendIfCurrentAsync(NewConsentRecord record, long expectedCurrentSequence, CancellationToken cancellationToken = default);

    /// <summary>The current record of each purpose the subject has a record for; empty when there is none.</summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The current records of many subjects at once, for pipelines: every (subject, purpose) pair's last
    /// record for the given subjects, in no particular order. Subjects without records are absent.
    /// </summary>
    /// <param name="subjectIds">The subjects; duplicates are allowed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every (subject, purpose) pair's current record for the given purposes, read at one consistent moment
    /// (a read transaction), with the sequence that moment is at. For pipeline runs that touch a large share
    /// of all subjects: one sequential read instead of a lookup per subject. A store may leave out the records' metadata,
    /// notice digests and subject keys (proof, not part of a decision); erased subjects are absent.
    /// </summary>
    /// <param name="purposeIds">The purposes, typically one and its ancestors; duplicates are allowed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException"><paramref name="purposeIds"/> is empty or holds a <see langword="null"/>.</exception>
    ValueTask<ConsentPurposeScan> ScanCurrentAsync(IReadOnlyCollection<string> purposeIds, CancellationToken cancellationToken = default);

    /// <summary>Every record of the subject, oldest (lowest sequence) first.</summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentRecord>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The change feed: records appended after <paramref name="afterSequence"/>, oldest (lowest sequence)
    /// first, at most <paramref name="maxCount"/> of them. Every process that shares the store reads the
    /// same feed, so anyone can catch up from a watermark.
    /// </summary>
    /// <remarks>
    /// A store must never let a reader skip a record: once a record with sequence <c>n</c> is returned,
    /// no record with a lower sequence may become visible later (appends that commit out of sequence
    /// order would break every follower). Gaps left by appends that failed are allowed.
    /// </remarks>
    /// <param name="afterSequence">The watermark: the last sequence the caller has seen, or <c>0</c> for the start.</param>
    /// <param name="maxCount">The page size; at least 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterSequence"/> is negative or <paramref name="maxCount"/> is not positive.</exception>
    ValueTask<IReadOnlyList<ConsentRecord>> GetChangesAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>The highest sequence appended so far, or <c>0</c> when the store is empty: where a new follower of the feed starts.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> GetLastSequenceAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The tamper-evident history: the stored entries after <paramref name="afterSequence"/>, oldest first,
    /// at most <paramref name="maxCount"/>, exactly as stored (hashes included), for
    /// <see cref="ConsentHistoryVerifier"/>. Entries of erased subjects are returned too.
    /// </summary>
    /// <param name="afterSequence">The last sequence already read, or <c>0</c> for the start.</param>
    /// <param name="maxCount">The page size; at least 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentChainEntry>> GetChainAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// The proof log (<see cref="ConsentProofLog"/>): the entries after <paramref name="afterSequence"/>, oldest
    /// first, at most <paramref name="maxCount"/>, exactly as stored, for <see cref="ConsentHistoryVerifier"/>.
    /// </summary>
    /// <param name="afterSequence">The last sequence already read, or <c>0</c> for the start.</param>
    /// <param name="maxCount">The page size; at least 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentProofEntry>> GetProofLogAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>Every row of the subject registry, in no particular order, for <see cref="ConsentHistoryVerifier"/>.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<ConsentSubjectRegistration> GetSubjectRegistryAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The highest record sequence the store's own counter has handed out (SQLite's <c>sqlite_sequence</c>, a
    /// PostgreSQL high-water row kept by trigger), or <c>0</c>: when it is ahead of the highest record, records
    /// were cut off the end (<see cref="ConsentVerificationProblem.Truncated"/>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<long> GetSequenceCounterAsync(CancellationToken cancellationToken = default);

    /// <summary>Every row of the store's current-state index, in no particular order, for <see cref="ConsentHistoryVerifier"/>.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<ConsentCurrentPointer> GetCurrentStateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps each notice whose (purpose, version) the store does not have yet; a notice it has is left
    /// as it is. All or none.
    /// </summary>
    /// <param name="notices">The notices the app shows now.</param>
    /// <param name="seenAt">When they were seen: recorded as a new notice's first-seen time (stores read no clock).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ConsentNoticeConflictException">A (purpose, version) is kept with a different name or text; nothing was written.</exception>
    ValueTask SaveNoticesAsync(IReadOnlyList<ConsentNotice> notices, DateTimeOffset seenAt, CancellationToken cancellationToken = default);

    /// <summary>Every notice the store keeps.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentNotice>> GetNoticesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Erases a subject by crypto-shredding, in one atomic step: withdraws every purpose the subject has
    /// granted still (so every instance following the feed stops allowing), then deletes the subject's
    /// entry in the subject registry — the only link from the subject id to its pseudonymous key and the
    /// only copy of the secret that seals its metadata. The records stay and still verify.
    /// </summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="erasedAt">The time recorded on the closing withdrawals.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The closing withdrawals appended (each with <see cref="ConsentRecord.IsSubjectErased"/> set), or <see langword="null"/> when the store knew no such subject.</returns>
    ValueTask<IReadOnlyList<ConsentRecord>?> EraseSubjectAsync(string subjectId, DateTimeOffset erasedAt, CancellationToken cancellationToken = default);
}
