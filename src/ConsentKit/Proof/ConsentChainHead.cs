using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ConsentKit;

/// <summary>
/// The head of a store's chain: the last sequence and its hash. Export it (and sign it, or hand it to
/// someone who keeps it) at any time; verifying later against it proves that nothing up to that
/// record was rewritten since — even by someone who recomputed every hash after the change.
/// </summary>
public sealed record ConsentChainHead
{
    /// <summary>The last sequence; <c>0</c> for an empty store.</summary>
    public required long Sequence { get; init; }

    /// <summary>The hash of that record in lower-case hex (64 characters); zeros for an empty store.</summary>
    public required string Hash { get; init; }

    private const string Prefix = "consentkit-chain-head:v1:";

    /// <summary>The head as one line, e.g. <c>consentkit-chain-head:v1:42:9f86…</c>: what to sign or store elsewhere.</summary>
    public override string ToString() => Prefix + Sequence.ToString(CultureInfo.InvariantCulture) + ":" + Hash;

    /// <summary>
    /// Signs the head's line (<see cref="ToString"/>, UTF-8) with an ECDSA key over SHA-256 (IEEE P1363
    /// format, as JWS ES256 uses): keep the line and the signature together, elsewhere than the database.
    /// </summary>
    /// <param name="privateKey">The signing key.</param>
    /// <returns>The signature, base64url.</returns>
    public string Sign(ECDsa privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        return Base64Url.EncodeToString(privateKey.SignData(Encoding.UTF8.GetBytes(ToString()), HashAlgorithmName.SHA256));
    }

    /// <summary>Whether <paramref name="signature"/> is this head's, signed with the key whose public half is <paramref name="publicKey"/>.</summary>
    /// <param name="signature">The signature from <see cref="Sign"/>.</param>
    /// <param name="publicKey">The verification key.</param>
    public bool HasValidSignature(string signature, ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(publicKey);
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return publicKey.VerifyData(Encoding.UTF8.GetBytes(ToString()), bytes, HashAlgorithmName.SHA256);
    }

    /// <summary>Reads a head written by <see cref="ToString"/>.</summary>
    /// <param name="text">The line.</param>
    /// <exception cref="FormatException">It is not a chain head.</exception>
    public static ConsentChainHead Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().StartsWith(Prefix, StringComparison.Ordinal) ? text.Trim()[Prefix.Length..].Split(':') : [];
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || parts[1].Length != ConsentChain.HashLength * 2
            || !parts[1].All(char.IsAsciiHexDigitLower))
        {
            throw new FormatException($"'{text}' is not a chain head: expected '{Prefix}<sequence>:<64 lower-case hex digits>'.");
        }

        return new ConsentChainHead { Sequence = sequence, Hash = parts[1] };
    }
}
