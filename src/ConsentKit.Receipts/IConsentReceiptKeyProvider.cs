using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.Receipts;

/// <summary>
/// Where receipts' keys come from. The default reads <see cref="ConsentReceiptOptions.SigningKey"/> and
/// <see cref="ConsentReceiptOptions.PreviousKeys"/>; register your own (before or after <c>AddReceipts</c>)
/// to take them from a key vault or an HSM, and to rotate without a restart.
/// </summary>
public interface IConsentReceiptKeyProvider
{
    /// <summary>The key new receipts and audits are signed with: ECDSA P-256 with a key id.</summary>
    ECDsaSecurityKey GetSigningKey();

    /// <summary>Every key a receipt may have been signed with: the current one and earlier ones (public halves suffice).</summary>
    IEnumerable<SecurityKey> GetValidationKeys();
}

internal sealed class OptionsConsentReceiptKeyProvider(IOptions<ConsentReceiptOptions> options) : IConsentReceiptKeyProvider
{
    public ECDsaSecurityKey GetSigningKey() =>
        options.Value.SigningKey ?? throw new InvalidOperationException("ConsentReceiptOptions.SigningKey is not set, and no other IConsentReceiptKeyProvider is registered.");

    public IEnumerable<SecurityKey> GetValidationKeys() => [GetSigningKey(), .. options.Value.PreviousKeys];
}
