namespace ConsentKit.OpenLineage;

/// <summary>
/// Delivers OpenLineage events somewhere: a JSON Lines file (<see cref="JsonLinesOpenLineageTransport"/>), an HTTP
/// endpoint such as Marquez's <c>/api/v1/lineage</c> (<see cref="HttpOpenLineageTransport"/>), or your own (Kafka, a
/// queue) registered with <c>UseOpenLineageTransport</c>.
/// </summary>
public interface IOpenLineageTransport
{
    /// <summary>Delivers one event; returns when the receiver has it.</summary>
    /// <param name="runEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the delivery.</param>
    /// <exception cref="OpenLineageDeliveryException">The receiver did not take it.</exception>
    ValueTask EmitAsync(OpenLineageRunEvent runEvent, CancellationToken cancellationToken = default);
}

/// <summary>An OpenLineage event could not be delivered.</summary>
public sealed class OpenLineageDeliveryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OpenLineageDeliveryException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    public OpenLineageDeliveryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">Why.</param>
    public OpenLineageDeliveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
