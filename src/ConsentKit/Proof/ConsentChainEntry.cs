namespace ConsentKit;

/// <summary>
/// One record of the tamper-evident history exactly as a store keeps it: the fields the chain hashes,
/// in the encoding <see cref="ConsentChain"/> documents, and the hash itself.
/// </summary>
/// <remarks>
/// Entries name the subject only by its pseudonymous <see cref="SubjectKey"/> and carry the metadata
/// sealed under the subject's secret, so an entry still verifies after the subject was erased
/// (the secret and the link to the subject id are gone; the entry is not).
/// </remarks>
public sealed record ConsentChainEntry
{
    /// <summary>The store-assigned sequence.</summary>
    public required long Sequence { get; init; }

    /// <summary>The sequence of the entry before this one in the store's chain; <c>0</c> for the first.</summary>
    public required long PreviousSequence { get; init; }

    /// <summary>The random pseudonymous key of the subject (16 bytes); the subject id is never hashed.</summary>
    public required ReadOnlyMemory<byte> SubjectKey { get; init; }

    /// <summary>The purpose.</summary>
    public required string PurposeId { get; init; }

    /// <summary>What the record says.</summary>
    public required ConsentStatus Status { get; init; }

    /// <summary>The notice version the subject was shown.</summary>
    public required string NoticeVersion { get; init; }

    /// <summary>
    /// <see cref="ConsentNotice.Digest"/> of the kept notice text for (purpose, version) when the record was
    /// appended; 32 zero bytes when the store kept no text for that version.
    /// </summary>
    public required ReadOnlyMemory<byte> NoticeDigest { get; init; }

    /// <summary>When it was recorded, as UTC ticks.</summary>
    public required long RecordedAtUtcTicks { get; init; }

    /// <summary>When a grant stops being valid, as UTC ticks; <see langword="null"/> for never.</summary>
    public required long? ExpiresAtUtcTicks { get; init; }

    /// <summary>How it was expressed.</summary>
    public required ConsentMethod Method { get; init; }

    /// <summary>A short label of where it was expressed.</summary>
    public required string? Source { get; init; }

    /// <summary>The metadata sealed under the subject's secret (<see cref="ConsentSubjectSecrets"/>); empty when there was none.</summary>
    public required ReadOnlyMemory<byte> SealedMetadata { get; init; }

    /// <summary>The SHA-256 over the entry's canonical encoding, which includes the previous entry's hash.</summary>
    public required ReadOnlyMemory<byte> Hash { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} (after #{PreviousSequence}) {PurposeId} {Status} {Convert.ToHexStringLower(Hash.Span)}";
}
