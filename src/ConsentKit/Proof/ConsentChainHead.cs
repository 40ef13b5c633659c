using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ConsentKit;

/// <summary>
/// The head of a store's chains: the last record's sequence and hash and, since version 2, the last
/// proof-log entry's (the subject registry and the ledger, <see cref="ConsentProofLog"/>). Export it
/// (and sign it, or hand it to an <see cref="IConsentHeadAnchor"/>) at any time; verifying later against
/// it proves that nothing up to it was rewritten or cut off since — even by someone who recomputed
/// every hash after the change.
/// </summary>
public sealed record ConsentChainHead
{
    /// <summary>The last sequence; <c>0</c> for an empty store.</summary>
    public required long Sequence { get; init; }

    /// <summary>The hash of that record in lower-case hex (64 characters); zeros for an empty store.</summary>
    public required string Hash { get; init; }

    /// <summary>The proof log's last sequence; <c>0</c> when it is empty or the head is a version 1 head.</summary>
    public long LogSequence { get; init; }

    /// <summary>The hash of that entry in lower-case hex; <see langword="null"/> for a version 1 head, which anchors only the records.</summary>
    public string? LogHash { get; init; }

    private const string Prefix = "consentkit-chain-head:v1:";
    private const string Prefix2 = "consentkit-chain-head:v2:";

    /// <summary>
    /// The head as one line, e.g. <c>consentkit-chain-head:v2:42:9f86…:7:1c2d…</c> (records' sequence and hash,
    /// then the proof log's): what to sign or store elsewhere.
    /// </summary>
    public override string ToString() => LogHash is null
        ? Prefix + Sequence.ToString(CultureInfo.InvariantCulture) + ":" + Hash
        : Prefix2 + Sequence.ToString(CultureInfo.InvariantCulture) + ":" + Hash + ":" + LogSequence.ToString(CultureInfo.InvariantCulture) + ":" + LogHash;

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

    /// <summary>Reads a head written by <see cref="ToString"/> (version 1 or 2).</summary>
    /// <param name="text">The line.</param>
    /// <exception cref="FormatException">It is not a chain head.</exception>
    public static ConsentChainHead Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = text.Trim();
        var parts = line.StartsWith(Prefix, StringComparison.Ordinal) ? line[Prefix.Length..].Split(':')
            : line.StartsWith(Prefix2, StringComparison.Ordinal) ? line[Prefix2.Length..].Split(':')
            : [];
        var version2 = line.StartsWith(Prefix2, StringComparison.Ordinal);
        if (parts.Length != (version2 ? 4 : 2)
            || !TryPart(parts[0], parts[1], out var sequence)
            || (version2 && !TryPart(parts[2], parts[3], out _)))
        {
            throw new FormatException($"'{text}' is not a chain head: expected '{Prefix2}<sequence>:<64 lower-case hex digits>:<log sequence>:<64 lower-case hex digits>' or '{Prefix}<sequence>:<64 lower-case hex digits>'.");
        }

        return new ConsentChainHead
        {
            Sequence = sequence,
            Hash = parts[1],
            LogSequence = version2 ? long.Parse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture) : 0,
            LogHash = version2 ? parts[3] : null,
        };
    }

    private static bool TryPart(string number, string hash, out long sequence) =>
        long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out sequence)
        && hash.Length == ConsentChain.HashLength * 2
        && hash.All(char.IsAsciiHexDigitLower);
}
