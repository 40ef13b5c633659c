using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.Receipts;

/// <summary>Who issues consent receipts and with which key: the ISO/IEC TS 27560 fields that are the controller's, not the record's.</summary>
public sealed class ConsentReceiptOptions
{
    /// <summary>The controller's name, e.g. the company running the service. Required.</summary>
    public string ControllerName { get; set; } = string.Empty;

    /// <summary>How to contact the controller (an e-mail address or URL). Required.</summary>
    public string ControllerContact { get; set; } = string.Empty;

    /// <summary>The controller's postal address, if it is to be on receipts.</summary>
    public string? ControllerAddress { get; set; }

    /// <summary>How the person withdraws, in words or as a URL, e.g. <c>https://example.com/settings/privacy</c>. Required.</summary>
    public string WithdrawalMethod { get; set; } = string.Empty;

    /// <summary>The jurisdiction the consent is given under. Default <c>EU</c>.</summary>
    public string Jurisdiction { get; set; } = "EU";

    /// <summary>The language of the notices (BCP 47). Default <c>en</c>.</summary>
    public string Language { get; set; } = "en";

    /// <summary>What personal data the purposes use. Default: the content and profile data the person shared.</summary>
    public IList<string> PiiInformation { get; } = ["content and profile data the person shared on the service"];

    /// <summary>Where the data is stored. Default <c>EU</c>.</summary>
    public IList<string> StorageLocations { get; } = ["EU"];

    /// <summary>How long the data is kept for the purpose. Default: until consent is withdrawn.</summary>
    public string RetentionPeriod { get; set; } = "until consent is withdrawn";

    /// <summary>Third parties that receive the data under the consent; empty by default.</summary>
    public IList<string> RecipientThirdParties { get; } = [];

    /// <summary>The key receipts are signed with: an ECDSA P-256 key with a <see cref="SecurityKey.KeyId"/> (ES256). Required unless another <see cref="IConsentReceiptKeyProvider"/> is registered.</summary>
    public ECDsaSecurityKey? SigningKey { get; set; }

    /// <summary>Earlier signing keys (public halves are enough), so receipts signed before a rotation still verify.</summary>
    public IList<SecurityKey> PreviousKeys { get; } = [];
}

/// <summary>Checks <see cref="ConsentReceiptOptions"/> and the signing key at start, naming every problem.</summary>
internal sealed class ConsentReceiptOptionsValidator(IServiceProvider services) : IValidateOptions<ConsentReceiptOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsentReceiptOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ControllerName))
        {
            problems.Add("ControllerName is required: receipts name the controller.");
        }

        if (string.IsNullOrWhiteSpace(options.ControllerContact))
        {
            problems.Add("ControllerContact is required: receipts say how to reach the controller.");
        }

        if (string.IsNullOrWhiteSpace(options.WithdrawalMethod))
        {
            problems.Add("WithdrawalMethod is required: receipts say how to withdraw.");
        }

        if (string.IsNullOrWhiteSpace(options.Jurisdiction) || string.IsNullOrWhiteSpace(options.Language) || string.IsNullOrWhiteSpace(options.RetentionPeriod))
        {
            problems.Add("Jurisdiction, Language and RetentionPeriod must not be empty.");
        }

        if (options.PiiInformation.Count == 0 || options.StorageLocations.Count == 0)
        {
            problems.Add("PiiInformation and StorageLocations must name at least one entry each.");
        }

        // The key the provider will sign with: the options' own, unless the app registered another provider.
        var provider = services.GetService(typeof(IConsentReceiptKeyProvider));
        var key = provider is null or OptionsConsentReceiptKeyProvider ? options.SigningKey : ((IConsentReceiptKeyProvider)provider).GetSigningKey();
        if (key is null)
        {
            problems.Add("SigningKey is required: an ECDSA P-256 key with a KeyId (ES256).");
        }
        else
        {
            if (string.IsNullOrWhiteSpace(key.KeyId))
            {
                problems.Add("SigningKey.KeyId is required, so that keys can rotate.");
            }

            if (key.ECDsa.KeySize != 256)
            {
                problems.Add($"SigningKey must be a P-256 key for ES256 (it is {key.ECDsa.KeySize} bits).");
            }

            if (key.PrivateKeyStatus == PrivateKeyStatus.DoesNotExist)
            {
                problems.Add("SigningKey has no private key: receipts cannot be signed with it.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
