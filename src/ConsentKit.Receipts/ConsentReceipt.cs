using System.Text.Json.Serialization;

namespace ConsentKit.Receipts;

/// <summary>
/// A consent receipt: one consent record with the ISO/IEC TS 27560:2023 consent-record fields, as signed
/// into a receipt's JWS payload (snake_case names, as the standard's). ConsentKit's own additions —
/// the record's chain hash — let a verifier check the record is still in the store, unchanged.
/// </summary>
public sealed class ConsentReceipt
{
    /// <summary>The receipt format's version.</summary>
    public const string CurrentSchemaVersion = "consentkit-receipt/1 (ISO/IEC TS 27560:2023)";

    /// <summary>The receipt format: <see cref="CurrentSchemaVersion"/>.</summary>
    public required string SchemaVersion { get; init; }

    /// <summary>The record's id: its store sequence.</summary>
    public required long RecordId { get; init; }

    /// <summary>This receipt's id: stable for the record and key that signed it.</summary>
    public required string ReceiptId { get; init; }

    /// <summary>The person the record is about (the PII principal).</summary>
    public required string PiiPrincipalId { get; init; }

    /// <summary>The notice the person was shown.</summary>
    public required ConsentReceiptNotice PrivacyNotice { get; init; }

    /// <summary>The language of the notice (BCP 47).</summary>
    public required string Language { get; init; }

    /// <summary>The purpose.</summary>
    public required ConsentReceiptPurpose Purpose { get; init; }

    /// <summary>The lawful basis: always <c>consent</c> (GDPR Art. 6(1)(a)).</summary>
    public required string LawfulBasis { get; init; }

    /// <summary>What personal data the purpose uses.</summary>
    public required IReadOnlyList<string> PiiInformation { get; init; }

    /// <summary>Who decides what happens to the data.</summary>
    public required IReadOnlyList<ConsentReceiptController> PiiControllers { get; init; }

    /// <summary>How the choice was collected: the record's method, and where (its source).</summary>
    public required string CollectionMethod { get; init; }

    /// <summary>Where the data is stored.</summary>
    public required IReadOnlyList<string> StorageLocations { get; init; }

    /// <summary>How long the data is kept.</summary>
    public required string RetentionPeriod { get; init; }

    /// <summary>The jurisdiction.</summary>
    public required string Jurisdiction { get; init; }

    /// <summary>Third parties that receive the data under this consent.</summary>
    public required IReadOnlyList<string> RecipientThirdParties { get; init; }

    /// <summary>How the person withdraws.</summary>
    public required string WithdrawalMethod { get; init; }

    /// <summary>What happened: the consent event.</summary>
    public required ConsentReceiptEvent Event { get; init; }

    /// <summary>The record's hash in the store's chain (lower-case hex): what verification compares.</summary>
    public required string RecordHash { get; init; }
}

/// <summary>The notice on a receipt.</summary>
public sealed class ConsentReceiptNotice
{
    /// <summary>The notice version.</summary>
    public required string Version { get; init; }

    /// <summary>The purpose's name as shown; <see langword="null"/> when the store kept no text for this version.</summary>
    public string? DisplayName { get; init; }

    /// <summary>The text, word for word; <see langword="null"/> when the store kept no text for this version.</summary>
    public string? Text { get; init; }

    /// <summary>The SHA-256 digest of the notice the record is chained to (hex); zeros for records made before texts were kept.</summary>
    public required string Digest { get; init; }
}

/// <summary>The purpose on a receipt.</summary>
public sealed class ConsentReceiptPurpose
{
    /// <summary>The purpose id, e.g. <c>ai-training.generative</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Its name.</summary>
    public required string DisplayName { get; init; }
}

/// <summary>A controller on a receipt.</summary>
public sealed class ConsentReceiptController
{
    /// <summary>The name.</summary>
    public required string Name { get; init; }

    /// <summary>How to reach them.</summary>
    public required string Contact { get; init; }

    /// <summary>The postal address, if given.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Address { get; init; }
}

/// <summary>The consent event on a receipt.</summary>
public sealed class ConsentReceiptEvent
{
    /// <summary>When it was recorded (UTC).</summary>
    public required DateTimeOffset EventTime { get; init; }

    /// <summary>How long a grant is valid (ISO 8601 duration), or <c>until-withdrawn</c>; <c>not-applicable</c> for a refusal or withdrawal.</summary>
    public required string ValidityDuration { get; init; }

    /// <summary>Who made the event: the person (their id) for their own act, otherwise the method, e.g. <c>operator</c>.</summary>
    public required string EntityId { get; init; }

    /// <summary><c>granted</c>, <c>refused</c> or <c>withdrawn</c>.</summary>
    public required string EventType { get; init; }

    /// <summary>The W3C DPV consent status the event leaves, e.g. <c>dpv:ConsentGiven</c>.</summary>
    public required string EventState { get; init; }
}

/// <summary>A signed receipt: the compact JWS (ES256) to hand out, and what it says.</summary>
public sealed class SignedConsentReceipt
{
    /// <summary>The compact JWS: <c>header.payload.signature</c>, base64url. The payload is the receipt's JSON.</summary>
    public required string Token { get; init; }

    /// <summary>The receipt.</summary>
    public required ConsentReceipt Receipt { get; init; }
}
