namespace ConsentKit.Receipts;

/// <summary>Issues signed consent receipts and verifies them against the store.</summary>
public interface IConsentReceipts
{
    /// <summary>The signed receipt for one of the subject's records; <see langword="null"/> when the subject has no record with that sequence.</summary>
    /// <param name="subjectId">Whose record: a receipt is only ever issued to the record's own subject.</param>
    /// <param name="sequence">The record's sequence.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException"><paramref name="subjectId"/> is malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequence"/> is not positive.</exception>
    /// <exception cref="ConsentStoreException">The store failed or did not answer in time.</exception>
    ValueTask<SignedConsentReceipt?> IssueAsync(string subjectId, long sequence, CancellationToken cancellationToken = default);

    /// <summary>
    /// Checks a receipt: the signature, by a current or previous key, and that its record is still in the
    /// store, unchanged (its chain hash recomputed from the stored record matches the receipt's).
    /// </summary>
    /// <param name="token">The receipt's compact JWS.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ConsentStoreException">The store failed or did not answer in time.</exception>
    ValueTask<ConsentReceiptVerification> VerifyAsync(string token, CancellationToken cancellationToken = default);
}

/// <summary>Why a receipt did not verify.</summary>
public enum ConsentReceiptProblem
{
    /// <summary>It verified.</summary>
    None = 0,

    /// <summary>Not a compact JWS, or its payload is not a receipt.</summary>
    Malformed = 1,

    /// <summary>The signature does not match the payload under any known key, or names a key that is not known.</summary>
    BadSignature = 2,

    /// <summary>The store has no record with the receipt's sequence.</summary>
    RecordMissing = 3,

    /// <summary>The store's record differs from the one the receipt was issued for, or no longer matches its own chain hash.</summary>
    RecordChanged = 4,
}

/// <summary>The outcome of <see cref="IConsentReceipts.VerifyAsync"/>.</summary>
public sealed class ConsentReceiptVerification
{
    /// <summary>Whether the receipt verified.</summary>
    public bool IsValid => Problem == ConsentReceiptProblem.None;

    /// <summary>What is wrong, if anything.</summary>
    public required ConsentReceiptProblem Problem { get; init; }

    /// <summary>In words.</summary>
    public required string Message { get; init; }

    /// <summary>The receipt, once its signature checked out; <see langword="null"/> before that.</summary>
    public ConsentReceipt? Receipt { get; init; }

    /// <summary>The id of the key that signed it, once the signature checked out.</summary>
    public string? KeyId { get; init; }

    /// <inheritdoc />
    public override string ToString() => IsValid ? $"valid: record #{Receipt!.RecordId}, signed by key {KeyId}" : $"{Problem}: {Message}";
}
