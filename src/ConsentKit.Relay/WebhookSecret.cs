using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace ConsentKit.Relay;

/// <summary>Standard Webhooks secrets: <c>whsec_</c> and the base64 of the key.</summary>
public static class WebhookSecret
{
    private const string Prefix = "whsec_";

    /// <summary>A new secret of 32 random bytes.</summary>
    public static string Create() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Reads a secret: <c>whsec_</c> and the base64 of 24 to 64 bytes.</summary>
    /// <param name="secret">The secret.</param>
    /// <param name="key">The key bytes.</param>
    public static bool TryParse(string? secret, [NotNullWhen(true)] out byte[]? key)
    {
        key = null;
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var buffer = new byte[secret.Length];
        if (!Convert.TryFromBase64String(secret[Prefix.Length..], buffer, out var length) || length is < 24 or > 64)
        {
            return false;
        }

        key = buffer[..length];
        return true;
    }
}
