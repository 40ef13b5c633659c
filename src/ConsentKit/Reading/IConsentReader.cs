namespace ConsentKit;

/// <summary>
/// What an app reads about a person's consent: the decision for every purpose, the history with the
/// notice texts they saw, and the data uses that included them. Reads go through the gate (its cache,
/// time-out and telemetry), so a page showing "on" and an endpoint serving data never disagree.
/// </summary>
/// <remarks>
/// This is the consumer API; <c>IConsentStore</c> is the contract a store implements and apps need not
/// call. A store that fails or does not answer within <see cref="ConsentKitOptions.StoreTimeout"/> makes
/// the history and data-use reads throw <see cref="ConsentStoreException"/>; the snapshot denies instead,
/// as the gate always does.
/// </remarks>
public interface IConsentReader
{
    /// <summary>The gate's decision for every registered purpose, in registration order.</summary>
    /// <param name="subjectId">The person.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentException"><paramref name="subjectId"/> is empty or too long.</exception>
    ValueTask<ConsentSubjectSnapshot> GetSnapshotAsync(string subjectId, CancellationToken cancellationToken = default);

    /// <summary>Every record for the person, oldest first, each with the notice text they were shown when the store kept it.</summary>
    /// <param name="subjectId">The person.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentException"><paramref name="subjectId"/> is empty or too long.</exception>
    /// <exception cref="ConsentStoreException">The store failed or did not answer in time.</exception>
    ValueTask<IReadOnlyList<ConsentHistoryEntry>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default);

    /// <summary>The data uses (training sets and the like) that included the person's data, oldest first; empty without a ledger.</summary>
    /// <param name="subjectId">The person.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentException"><paramref name="subjectId"/> is empty or too long.</exception>
    /// <exception cref="ConsentStoreException">The store failed or did not answer in time.</exception>
    ValueTask<IReadOnlyList<DataUse>> GetDataUsesAsync(string subjectId, CancellationToken cancellationToken = default);

    /// <summary>The most recent data uses, newest first; empty without a ledger.</summary>
    /// <param name="limit">How many at most (1 to 1000).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is outside 1 to 1000.</exception>
    /// <exception cref="ConsentStoreException">The store failed or did not answer in time.</exception>
    ValueTask<IReadOnlyList<DataUse>> ListDataUsesAsync(int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>The data uses that hold the subject's data under a grant made before <paramref name="withdrawal"/>: what a withdrawal or refusal leaves to undo; empty without a ledger.</summary>
    /// <param name="withdrawal">A withdrawal or refusal from the store.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ConsentStoreException">The store failed or did not answer in time.</exception>
    ValueTask<IReadOnlyList<DataUse>> FindAffectedDataUsesAsync(ConsentRecord withdrawal, CancellationToken cancellationToken = default);
}

/// <summary>One record of a person's history, with the notice they saw.</summary>
public sealed class ConsentHistoryEntry
{
    /// <summary>The record.</summary>
    public required ConsentRecord Record { get; init; }

    /// <summary>
    /// The notice text and name shown for the record's purpose and version, when the store kept it and the
    /// record's chained digest proves it is that text; <see langword="null"/> for records made before texts were kept.
    /// </summary>
    public ConsentNotice? Notice { get; init; }
}

/// <summary>A person's consent for every registered purpose, as the gate decides it now.</summary>
public sealed class ConsentSubjectSnapshot
{
    /// <summary>The person.</summary>
    public required string SubjectId { get; init; }

    /// <summary>One decision per registered purpose, in registration order.</summary>
    public required IReadOnlyList<ConsentDecision> Decisions { get; init; }

    /// <summary>The decision for <paramref name="purposeId"/>; a denial with <see cref="ConsentDecisionReason.UnknownPurpose"/> for one not registered.</summary>
    /// <param name="purposeId">The purpose.</param>
    public ConsentDecision For(string purposeId)
    {
        ArgumentNullException.ThrowIfNull(purposeId);
        foreach (var decision in Decisions)
        {
            if (string.Equals(decision.PurposeId, purposeId, StringComparison.Ordinal))
            {
                return decision;
            }
        }

        return ConsentDecision.Deny(purposeId, ConsentDecisionReason.UnknownPurpose);
    }
}
