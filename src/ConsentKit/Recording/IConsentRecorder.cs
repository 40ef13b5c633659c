namespace ConsentKit;

/// <summary>
/// Records consent choices. Granting, refusing and withdrawing take the same inputs: withdrawing is
/// exactly as easy as granting.
/// </summary>
/// <remarks>
/// Every call checks its input before writing anything and throws an <see cref="ArgumentException"/>
/// (or a subclass) naming the bad field. A returned record is in the store, the gate already sees it,
/// and the registered <see cref="IConsentChangeObserver"/>s have been told.
/// </remarks>
public interface IConsentRecorder
{
    /// <summary>Records the subject's explicit opt-in to a purpose under its current notice.</summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="evidence">How it was expressed; must be the subject's own act under the current notice version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">Bad subject id or evidence, or the grant is not the subject's explicit act.</exception>
    /// <exception cref="ConsentPurposeNotFoundException">The purpose is not registered.</exception>
    /// <exception cref="ConsentNoticeOutdatedException">The notice version is missing or not the current one.</exception>
    ValueTask<ConsentRecord> GrantAsync(string subjectId, string purposeId, ConsentEvidence evidence, CancellationToken cancellationToken = default);

    /// <summary>Records a refusal of a purpose.</summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="evidence">How it was expressed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">Bad subject id or evidence.</exception>
    /// <exception cref="ConsentPurposeNotFoundException">The purpose is not registered.</exception>
    ValueTask<ConsentRecord> RefuseAsync(string subjectId, string purposeId, ConsentEvidence evidence, CancellationToken cancellationToken = default);

    /// <summary>Records the withdrawal of consent for a purpose. Takes effect for the very next gate check.</summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="evidence">How it was expressed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">Bad subject id or evidence.</exception>
    /// <exception cref="ConsentPurposeNotFoundException">The purpose is not registered.</exception>
    ValueTask<ConsentRecord> WithdrawAsync(string subjectId, string purposeId, ConsentEvidence evidence, CancellationToken cancellationToken = default);

    /// <summary>
    /// "Withdraw everything": withdraws every purpose the subject has granted, as one all-or-none append
    /// (a partial failure writes nothing), each record the subject's own act given by <paramref name="evidence"/>.
    /// </summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="evidence">How it was expressed (the notice version is taken from each purpose's grant).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The withdrawals recorded; empty when nothing was granted.</returns>
    /// <exception cref="ArgumentException">Bad subject id or evidence.</exception>
    /// <exception cref="ConsentStoreException">The store could not be read or written; nothing was recorded.</exception>
    ValueTask<IReadOnlyList<ConsentRecord>> WithdrawAllAsync(string subjectId, ConsentEvidence evidence, CancellationToken cancellationToken = default);

    /// <summary>
    /// Erases the subject (GDPR Art. 17) while keeping the proof (Art. 7(1)): withdraws every purpose the
    /// subject has granted (the withdrawal-impact observers see these as usual), then has the store
    /// destroy the only link from the subject id to its pseudonymous key and the secret sealing its
    /// metadata. The records stay and still verify; nothing returns the subject id or metadata again,
    /// and the gate denies every purpose (a later grant starts a new, unlinked history).
    /// </summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="evidence">How the erasure was asked for (the withdrawals' method and source).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">Bad subject id or evidence.</exception>
    /// <exception cref="ConsentStoreException">The store could not be read or written.</exception>
    ValueTask<ConsentErasureResult> EraseSubjectAsync(string subjectId, ConsentEvidence evidence, CancellationToken cancellationToken = default);

    /// <summary>
    /// "Refuse all": refuses every purpose the subject has not chosen yet and withdraws every one they
    /// granted, as one all-or-none append. Purposes already refused or withdrawn are left as they are.
    /// There is deliberately no "reset to no choice": history is append-only.
    /// </summary>
    /// <param name="subjectId">The subject.</param>
    /// <param name="evidence">How it was expressed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The records written; empty when everything was already off by choice.</returns>
    /// <exception cref="ArgumentException">Bad subject id or evidence.</exception>
    /// <exception cref="ConsentStoreException">The store could not be read or written; nothing was recorded.</exception>
    ValueTask<IReadOnlyList<ConsentRecord>> RefuseAllAsync(string subjectId, ConsentEvidence evidence, CancellationToken cancellationToken = default);

    /// <summary>
    /// Honours a privacy signal from the subject (such as Global Privacy Control's <c>Sec-GPC: 1</c>):
    /// records a refusal (method <see cref="ConsentMethod.PrivacySignal"/>) for each registered purpose
    /// under <paramref name="purposeIds"/> on which the subject has made no choice — never one whose
    /// refusal would block a grant the subject gave to a descendant, never over a choice.
    /// </summary>
    /// <remarks>
    /// Decided from the gate's cached view: a subject whose state is settled costs no store read, so it
    /// is fine to call on every request that carries the signal. "No choice yet" is enforced by the store
    /// (<see cref="IConsentStore.AppendIfCurrentAsync"/>): a choice that lands in between wins and the
    /// refusal is not written.
    /// </remarks>
    /// <param name="subjectId">The subject who sent the signal.</param>
    /// <param name="purposeIds">The purposes the signal covers, with their descendants; unregistered ones are ignored.</param>
    /// <param name="source">Where the signal came from, e.g. <c>sec-gpc</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The refusals recorded now; empty when everything was already settled.</returns>
    /// <exception cref="ArgumentException">Bad subject id or source.</exception>
    /// <exception cref="ConsentStoreException">The store could not be read or written.</exception>
    ValueTask<IReadOnlyList<ConsentRecord>> RecordPrivacySignalAsync(
        string subjectId, IReadOnlyCollection<string> purposeIds, string source, CancellationToken cancellationToken = default);
}

/// <summary>Told about every record appended through <see cref="IConsentRecorder"/>, after it is stored.</summary>
/// <remarks>
/// <para>
/// Register with <c>AddChangeObserver&lt;T&gt;()</c> on the ConsentKit builder. An observer that throws is
/// logged and does not undo the record or stop the other observers.
/// </para>
/// <para>
/// Without the relay, delivery is <b>at most once, in the process that made the write</b>: a crash right
/// after the append, or a write made by another instance, reaches no observer here. With
/// <c>AddConsentRelay</c> (ConsentKit.Relay) observers are the relay's <c>in-process</c> subscription instead:
/// called for every instance's writes, <b>at least once</b>, from a position kept in the consent database —
/// so an observer must tolerate being called twice for one record (its sequence identifies it).
/// </para>
/// </remarks>
public interface IConsentChangeObserver
{
    /// <summary>Called after <paramref name="record"/> was appended and the gate's cache invalidated.</summary>
    /// <param name="record">The new record.</param>
    /// <param name="cancellationToken">
    /// Cancelled only when the host stops — never by the recording caller going away, because the
    /// record is already acknowledged.
    /// </param>
    ValueTask OnRecordedAsync(ConsentRecord record, CancellationToken cancellationToken);
}
