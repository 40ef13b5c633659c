namespace ConsentKit;

/// <summary>
/// A consent store could not do what was asked: it could not be opened, it is locked past its time-out,
/// or its schema is one this version does not understand. The message says which and where.
/// </summary>
/// <remarks>The gate turns this into a <see cref="ConsentDecisionReason.StoreUnavailable"/> denial.</remarks>
public class ConsentStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConsentStoreException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, where, and what to do about it.</param>
    public ConsentStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, where, and what to do about it.</param>
    /// <param name="innerException">The driver's error.</param>
    public ConsentStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
