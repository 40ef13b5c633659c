namespace ConsentKit;

/// <summary>
/// What a store holds contradicts itself: a record that does not match its hash, a subject registry row
/// the proof log did not register, sealed metadata that does not open. The data was changed outside
/// ConsentKit. The gate denies (and logs an error with <see cref="Sequence"/>);
/// <see cref="ConsentHistoryVerifier"/> finds the first bad record.
/// </summary>
public sealed class ConsentStoreIntegrityException : ConsentStoreException
{
    /// <summary>Creates the exception.</summary>
    public ConsentStoreIntegrityException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What contradicts what, and where.</param>
    public ConsentStoreIntegrityException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What contradicts what, and where.</param>
    /// <param name="sequence">The record where the store contradicts itself.</param>
    public ConsentStoreIntegrityException(string message, long sequence)
        : base(message)
    {
        Sequence = sequence;
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What contradicts what, and where.</param>
    /// <param name="innerException">The underlying error.</param>
    public ConsentStoreIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The sequence of the record where the store contradicts itself, when known.</summary>
    public long? Sequence { get; }
}
