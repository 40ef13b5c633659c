namespace ConsentKit.Relay;

/// <summary>
/// One consent change as the relay delivers it: the record and, for a withdrawal or refusal, what already holds the
/// person's data — the training sets (by the ledger) and the models built from them (by the lineage), as they stood
/// when the relay delivered it.
/// </summary>
public sealed record ConsentChange
{
    /// <summary>The record.</summary>
    public required ConsentRecord Record { get; init; }

    /// <summary>The data uses that included the person under an earlier grant (withdrawals and refusals only).</summary>
    public IReadOnlyList<DataUse> AffectedDataUses { get; init; } = [];

    /// <summary>The artifacts built, at any depth, from those data uses, with their paths and deployments.</summary>
    public IReadOnlyList<ArtifactHolding> AffectedArtifacts { get; init; } = [];

    /// <summary>
    /// The change's id: the record's sequence, the same on every delivery of it (a redelivery after a crash or a
    /// replay included), so a receiver drops what it has already seen.
    /// </summary>
    public string Id => Record.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Which changes a subscription receives.</summary>
public sealed class ConsentChangeFilter
{
    /// <summary>Every change.</summary>
    public static ConsentChangeFilter All { get; } = new();

    /// <summary>Only these purposes and their descendants; every purpose when empty.</summary>
    public IReadOnlyList<string> Purposes { get; init; } = [];

    /// <summary>Only these statuses (e.g. <see cref="ConsentStatus.Withdrawn"/>); every status when empty.</summary>
    public IReadOnlyList<ConsentStatus> Statuses { get; init; } = [];

    /// <summary>Whether <paramref name="record"/> passes.</summary>
    /// <param name="record">The record.</param>
    public bool Matches(ConsentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return (Statuses.Count == 0 || Statuses.Contains(record.Status))
            && (Purposes.Count == 0 || Purposes.Any(p => ConsentPurposeId.IsSelfOrDescendant(record.PurposeId, p)));
    }
}

/// <summary>
/// Delivers changes to one destination. Return when the destination has the change; throw when it does not
/// (<see cref="ConsentDeliveryException"/> with <see cref="ConsentDeliveryException.IsPermanent"/> for a refusal that
/// retrying will not change). A transport may be given the same change more than once.
/// </summary>
public interface IConsentChangeTransport
{
    /// <summary>Delivers one change.</summary>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancelled when the attempt times out or the host stops.</param>
    ValueTask DeliverAsync(ConsentChange change, CancellationToken cancellationToken);
}

/// <summary>A change was not delivered.</summary>
public sealed class ConsentDeliveryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConsentDeliveryException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    public ConsentDeliveryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">Why.</param>
    public ConsentDeliveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="isPermanent">Whether retrying cannot help (the change goes to the dead letters at once).</param>
    public ConsentDeliveryException(string message, bool isPermanent)
        : base(message)
    {
        IsPermanent = isPermanent;
    }

    /// <summary>Whether retrying cannot help: the receiver refused the change itself (say, HTTP 400 or 410).</summary>
    public bool IsPermanent { get; }
}
