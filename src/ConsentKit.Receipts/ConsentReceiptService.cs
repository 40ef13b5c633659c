using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.Receipts;

/// <summary>The default <see cref="IConsentReceipts"/>: ES256 compact JWS over the receipt's JSON, with Microsoft.IdentityModel.</summary>
internal sealed class ConsentReceiptService(
    IConsentStore store,
    IConsentReader reader,
    ConsentPurposeCatalog catalog,
    IOptions<ConsentReceiptOptions> options,
    IConsentReceiptKeyProvider keys) : IConsentReceipts
{
    public const string TokenType = "consent-receipt+jwt";

    internal static JsonSerializerOptions Json => ConsentReceiptJson.Options;

    // Receipts carry no times of their own: the token's claims are the record's, so no clock is read.
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async ValueTask<SignedConsentReceipt?> IssueAsync(string subjectId, long sequence, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        var entry = (await reader.GetHistoryAsync(subjectId, cancellationToken)).FirstOrDefault(e => e.Record.Sequence == sequence);
        return entry is null ? null : await IssueAsync(entry, cancellationToken);
    }

    /// <summary>The receipt for a history entry already read (the export reads the history once, not once per record).</summary>
    internal async ValueTask<SignedConsentReceipt> IssueAsync(ConsentHistoryEntry entry, CancellationToken cancellationToken)
    {
        var sequence = entry.Record.Sequence;
        var chained = await ReadChainEntryAsync(sequence, cancellationToken)
            ?? throw new ConsentStoreException($"The store returned record #{sequence} in the history but not in its chain.");
        var receipt = Describe(entry, Convert.ToHexStringLower(chained.Hash.Span));
        return new SignedConsentReceipt { Token = Sign(receipt), Receipt = receipt };
    }

    public async ValueTask<ConsentReceiptVerification> VerifyAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!_handler.CanReadToken(token))
        {
            return Fail(ConsentReceiptProblem.Malformed, "Not a compact JWS.");
        }

        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = [.. keys.GetValidationKeys()],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidTypes = [TokenType],
        });
        if (!result.IsValid)
        {
            return Fail(ConsentReceiptProblem.BadSignature, result.Exception?.Message ?? "The signature does not verify.");
        }

        var jws = (JsonWebToken)result.SecurityToken;
        ConsentReceipt? receipt;
        try
        {
            receipt = JsonSerializer.Deserialize<ConsentReceipt>(Base64UrlEncoder.DecodeBytes(jws.EncodedPayload), Json);
        }
        catch (JsonException ex)
        {
            return Fail(ConsentReceiptProblem.Malformed, "The payload is not a consent receipt: " + ex.Message);
        }

        if (receipt is null)
        {
            return Fail(ConsentReceiptProblem.Malformed, "The payload is empty.");
        }

        var stored = await ReadChainEntryAsync(receipt.RecordId, cancellationToken);
        if (stored is null)
        {
            return Fail(ConsentReceiptProblem.RecordMissing, $"The store has no record #{receipt.RecordId}.", receipt, jws.Kid);
        }

        var previousHash = stored.PreviousSequence == 0
            ? ConsentChain.GenesisHash
            : (await ReadChainEntryAsync(stored.PreviousSequence, cancellationToken))?.Hash ?? ReadOnlyMemory<byte>.Empty;
        if (!ConsentChain.HasValidHash(stored, previousHash.Span))
        {
            return Fail(ConsentReceiptProblem.RecordChanged, $"Record #{receipt.RecordId} no longer matches its chain hash: it was changed in the store.", receipt, jws.Kid);
        }

        if (!string.Equals(Convert.ToHexStringLower(stored.Hash.Span), receipt.RecordHash, StringComparison.Ordinal))
        {
            return Fail(ConsentReceiptProblem.RecordChanged, $"Record #{receipt.RecordId} in the store is not the record this receipt was issued for.", receipt, jws.Kid);
        }

        return new ConsentReceiptVerification { Problem = ConsentReceiptProblem.None, Message = "valid", Receipt = receipt, KeyId = jws.Kid };
    }

    internal string Sign(ConsentReceipt receipt) => Sign(JsonSerializer.Serialize(receipt, Json), TokenType);

    /// <summary>Signs a JSON payload as a compact JWS (ES256) with the receipts' key.</summary>
    internal string Sign(string payloadJson, string tokenType)
    {
        var key = keys.GetSigningKey();
        return _handler.CreateToken(
            payloadJson,
            new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
            new Dictionary<string, object> { [JwtHeaderParameterNames.Typ] = tokenType });
    }

    private ConsentReceipt Describe(ConsentHistoryEntry entry, string recordHash)
    {
        var settings = options.Value;
        var record = entry.Record;
        var purposeName = catalog.TryGetPurpose(record.PurposeId, out var purpose) ? purpose.DisplayName : record.PurposeId;
        return new ConsentReceipt
        {
            SchemaVersion = ConsentReceipt.CurrentSchemaVersion,
            RecordId = record.Sequence,
            ReceiptId = "rcpt-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recordHash + "|" + keys.GetSigningKey().KeyId)))[..32],
            PiiPrincipalId = record.SubjectId,
            PrivacyNotice = new ConsentReceiptNotice
            {
                Version = record.NoticeVersion,
                DisplayName = entry.Notice?.DisplayName,
                Text = entry.Notice?.Text,
                Digest = Convert.ToHexStringLower((record.NoticeDigest.IsEmpty ? ConsentChain.NoNoticeDigest : record.NoticeDigest).Span),
            },
            Language = settings.Language,
            Purpose = new ConsentReceiptPurpose { Id = record.PurposeId, DisplayName = entry.Notice?.DisplayName ?? purposeName },
            LawfulBasis = "consent",
            PiiInformation = [.. settings.PiiInformation],
            PiiControllers = [new ConsentReceiptController { Name = settings.ControllerName, Contact = settings.ControllerContact, Address = settings.ControllerAddress }],
            CollectionMethod = record.Source is { } source ? $"{ConsentVocabulary.NameOf(record.Method)} ({source})" : ConsentVocabulary.NameOf(record.Method),
            StorageLocations = [.. settings.StorageLocations],
            RetentionPeriod = settings.RetentionPeriod,
            Jurisdiction = settings.Jurisdiction,
            RecipientThirdParties = [.. settings.RecipientThirdParties],
            WithdrawalMethod = settings.WithdrawalMethod,
            Event = new ConsentReceiptEvent
            {
                EventTime = record.RecordedAt.ToUniversalTime(),
                // How long the grant holds by the rule every decision uses: a recorded expiry or the purpose's lifetime.
                ValidityDuration = record.Status != ConsentStatus.Granted
                    ? "not-applicable"
                    : catalog.ExpiryOf(record) is { } expires ? XmlConvert.ToString(expires - record.RecordedAt) : "until-withdrawn",
                EntityId = record.Method.IsExplicitSubjectAct() ? record.SubjectId : ConsentVocabulary.NameOf(record.Method),
                EventType = ConsentVocabulary.NameOf(record.Status),
                EventState = record.Status switch
                {
                    ConsentStatus.Granted => "dpv:ConsentGiven",
                    ConsentStatus.Refused => "dpv:ConsentRefused",
                    _ => "dpv:ConsentWithdrawn",
                },
            },
            RecordHash = recordHash,
        };
    }

    private async ValueTask<ConsentChainEntry?> ReadChainEntryAsync(long sequence, CancellationToken cancellationToken)
    {
        try
        {
            var page = await store.GetChainAsync(sequence - 1, 1, cancellationToken);
            return page.Count == 1 && page[0].Sequence == sequence ? page[0] : null;
        }
        catch (Exception ex) when (ex is not ConsentStoreException and not OperationCanceledException)
        {
            throw new ConsentStoreException("The consent store failed: " + ex.Message, ex);
        }
    }

    private static ConsentReceiptVerification Fail(ConsentReceiptProblem problem, string message, ConsentReceipt? receipt = null, string? keyId = null) =>
        new() { Problem = problem, Message = message, Receipt = receipt, KeyId = keyId };
}
