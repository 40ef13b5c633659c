namespace ConsentKit;

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

    /// <summary>Every record of the subject, oldest (lowest sequence) first.</summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentRecord>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default);
}
