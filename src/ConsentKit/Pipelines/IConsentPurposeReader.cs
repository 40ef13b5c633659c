namespace ConsentKit;

/// <summary>
/// Reads one purpose's decision for every subject at one store watermark: for jobs that hand consent to
/// engines outside the process (ConsentKit.Snapshots writes it to Parquet or CSV). Decided by the same
/// service and rules as every gate check.
/// </summary>
public interface IConsentPurposeReader
{
    /// <summary>The subjects allowed <paramref name="purposeId"/>, each with the grant that allows, at one watermark.</summary>
    /// <param name="purposeId">A registered purpose.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentException"><paramref name="purposeId"/> is not registered.</exception>
    /// <exception cref="ConsentStoreException">The store could not be read within the store time-out.</exception>
    ValueTask<ConsentAllowedSubjects> ReadAllowedAsync(string purposeId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The same decisions as <see cref="ReadAllowedAsync"/>, handed out as the store's scan is read, so memory does not
    /// grow with the number of subjects (on stores that stream their scan: <see cref="Storage.IConsentStreamingScan"/>).
    /// Subjects come in the store's order, not sorted. Enumerate <see cref="ConsentAllowedSubjectStream.Subjects"/> once, then dispose.
    /// </summary>
    /// <param name="purposeId">A registered purpose.</param>
    /// <param name="cancellationToken">Cancels opening the read.</param>
    /// <exception cref="ArgumentException"><paramref name="purposeId"/> is not registered.</exception>
    /// <exception cref="ConsentStoreException">The store could not be read within the store time-out (also thrown while enumerating).</exception>
    ValueTask<ConsentAllowedSubjectStream> StreamAllowedAsync(string purposeId, CancellationToken cancellationToken = default);
}

/// <summary>The subjects allowed a purpose at one store watermark, as a stream (<see cref="IConsentPurposeReader.StreamAllowedAsync"/>).</summary>
public sealed class ConsentAllowedSubjectStream : IAsyncDisposable
{
    private readonly Func<ValueTask> _dispose;
    private readonly Func<DateTimeOffset?> _holdsUntil;

    internal ConsentAllowedSubjectStream(
        string purposeId, long watermark, DateTimeOffset decidedAt, IAsyncEnumerable<ConsentAllowedSubject> subjects, Func<DateTimeOffset?> holdsUntil, Func<ValueTask> dispose)
    {
        PurposeId = purposeId;
        Watermark = watermark;
        DecidedAt = decidedAt;
        Subjects = subjects;
        _holdsUntil = holdsUntil;
        _dispose = dispose;
    }

    /// <summary>The purpose decided.</summary>
    public string PurposeId { get; }

    /// <summary>The store sequence read at: every record up to it, none after.</summary>
    public long Watermark { get; }

    /// <summary>The instant the decisions are made at.</summary>
    public DateTimeOffset DecidedAt { get; }

    /// <summary>The allowed subjects, each with the grant that allows, in the store's order; enumerable once.</summary>
    public IAsyncEnumerable<ConsentAllowedSubject> Subjects { get; }

    /// <summary>
    /// Once <see cref="Subjects"/> was enumerated to its end: the first instant a decision in the set could change by
    /// time alone (see <see cref="ConsentAllowedSubjects.HoldsUntil"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="Subjects"/> has not been enumerated to its end.</exception>
    public DateTimeOffset HoldsUntil => _holdsUntil() ?? throw new InvalidOperationException("HoldsUntil is known once every subject was read.");

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dispose();
}

/// <summary>The subjects allowed a purpose at one store watermark (<see cref="IConsentPurposeReader"/>).</summary>
public sealed class ConsentAllowedSubjects
{
    /// <summary>The purpose decided.</summary>
    public required string PurposeId { get; init; }

    /// <summary>The store sequence read at: every record up to it, none after.</summary>
    public required long Watermark { get; init; }

    /// <summary>The instant the decisions were made at.</summary>
    public required DateTimeOffset DecidedAt { get; init; }

    /// <summary>
    /// The first instant at which a decision in the set could change by time alone (a grant's expiry, by
    /// record or by the purpose's lifetime); <see cref="DateTimeOffset.MaxValue"/> when none can.
    /// </summary>
    public required DateTimeOffset HoldsUntil { get; init; }

    /// <summary>The allowed subjects, in ordinal order of their ids.</summary>
    public required IReadOnlyList<ConsentAllowedSubject> Subjects { get; init; }
}

/// <summary>A subject allowed a purpose and the sequence of the grant that allows it.</summary>
/// <param name="SubjectId">The subject.</param>
/// <param name="GrantSequence">The store sequence of the deciding grant.</param>
public readonly record struct ConsentAllowedSubject(string SubjectId, long GrantSequence);
