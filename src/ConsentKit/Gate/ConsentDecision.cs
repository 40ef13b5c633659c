namespace ConsentKit;

/// <summary>
/// The gate's answer for one subject and purpose: allowed or not, why, and the record that decided.
/// </summary>
/// <remarks>
/// A <c>default</c> value denies. <see cref="IsAllowed"/> is true only for
/// <see cref="ConsentDecisionReason.Granted"/>, so the two can never disagree.
/// </remarks>
public readonly struct ConsentDecision : IEquatable<ConsentDecision>
{
    // Either the deciding ConsentRecord itself, or a subject's records-by-purpose array with _index
    // pointing at the deciding one: the gate's cache hands out decisions without touching the record.
    private readonly object? _source;
    private readonly int _index;

    private ConsentDecision(string? purposeId, ConsentDecisionReason reason, ConsentRecord? record)
    {
        PurposeId = purposeId;
        Reason = reason;
        _source = record;
        _index = -1;
    }

    internal ConsentDecision(string purposeId, ConsentDecisionReason reason, ConsentRecord?[] records, int index)
    {
        PurposeId = purposeId;
        Reason = reason;
        _source = index >= 0 ? records : null;
        _index = index;
    }

    /// <summary>The purpose that was asked about.</summary>
    public string? PurposeId { get; }

    /// <summary>Why the gate decided as it did.</summary>
    public ConsentDecisionReason Reason { get; }

    /// <summary>
    /// The record that decided: the grant that allows (possibly the parent's, where the parent covers
    /// this purpose), or the refusal, withdrawal, expired or outdated grant that denies (possibly a
    /// parent's: check <see cref="ConsentRecord.PurposeId"/>). <see langword="null"/> when no record decided.
    /// </summary>
    public ConsentRecord? Record => _source switch
    {
        ConsentRecord record => record,
        ConsentRecord?[] records => records[_index],
        _ => null,
    };

    /// <summary>Whether the subject's data may be used for the purpose.</summary>
    public bool IsAllowed => Reason == ConsentDecisionReason.Granted;

    /// <summary>An allowing decision backed by <paramref name="record"/>.</summary>
    /// <param name="purposeId">The purpose asked about.</param>
    /// <param name="record">The grant that allows.</param>
    public static ConsentDecision Allow(string purposeId, ConsentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Status != ConsentStatus.Granted)
        {
            throw new ArgumentException("Only a grant can allow.", nameof(record));
        }

        return new(purposeId, ConsentDecisionReason.Granted, record);
    }

    /// <summary>A denying decision.</summary>
    /// <param name="purposeId">The purpose asked about.</param>
    /// <param name="reason">Why; anything but <see cref="ConsentDecisionReason.Granted"/>.</param>
    /// <param name="record">The record that decided, if any.</param>
    public static ConsentDecision Deny(string? purposeId, ConsentDecisionReason reason, ConsentRecord? record = null)
    {
        if (reason == ConsentDecisionReason.Granted)
        {
            throw new ArgumentException("A denial cannot have the reason Granted.", nameof(reason));
        }

        return new(purposeId, reason, record);
    }

    /// <inheritdoc />
    public bool Equals(ConsentDecision other) =>
        Reason == other.Reason && string.Equals(PurposeId, other.PurposeId, StringComparison.Ordinal) && ReferenceEquals(Record, other.Record);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ConsentDecision other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Reason, PurposeId, Record?.Sequence);

    /// <summary>Compares two decisions.</summary>
    /// <param name="left">One decision.</param>
    /// <param name="right">The other.</param>
    public static bool operator ==(ConsentDecision left, ConsentDecision right) => left.Equals(right);

    /// <summary>Compares two decisions.</summary>
    /// <param name="left">One decision.</param>
    /// <param name="right">The other.</param>
    public static bool operator !=(ConsentDecision left, ConsentDecision right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() =>
        $"{(IsAllowed ? "Allowed" : "Denied")} {PurposeId}: {Reason}{(Record is null ? string.Empty : $" by record #{Record.Sequence}")}";
}
