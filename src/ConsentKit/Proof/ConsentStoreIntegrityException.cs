namespace ConsentKit;

/// <summary>
/// What a store holds contradicts itself: a current-state row the events do not back, sealed metadata
/// that does not open. The data was changed outside ConsentKit. The gate denies (and logs an error);
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
    /// <param name="innerException">The underlying error.</param>
    public ConsentStoreIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
