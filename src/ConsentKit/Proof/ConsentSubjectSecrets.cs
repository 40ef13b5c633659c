using System.Security.Cryptography;
using System.Text.Json;

namespace ConsentKit;

/// <summary>
/// Crypto-shredding for store implementers: each subject gets a random pseudonymous key (what the chain
/// hashes) and a random secret (what seals the record metadata). Erasing a subject deletes both from
/// the store's subject registry; the records stay, still verify, and no longer lead to the person.
/// </summary>
public static class ConsentSubjectSecrets
{
    /// <summary>The length of a subject secret: an AES-256 key.</summary>
    public const int SecretLength = 32;

    private const int NonceLength = 12;
    private const int TagLength = 16;

    /// <summary>A new random subject key.</summary>
    public static byte[] NewSubjectKey() => RandomNumberGenerator.GetBytes(ConsentChain.SubjectKeyLength);

    /// <summary>A new random subject secret.</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretLength);

    /// <summary>
    /// Seals metadata under the subject's secret with AES-256-GCM: nonce (12 bytes), tag (16 bytes),
    /// ciphertext of the metadata as a JSON object with keys in ordinal order. Empty metadata seals to
    /// zero bytes.
    /// </summary>
    /// <param name="metadata">The metadata.</param>
    /// <param name="secret">The subject's secret.</param>
    public static byte[] Seal(IReadOnlyDictionary<string, string> metadata, ReadOnlySpan<byte> secret)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.Count == 0)
        {
            return [];
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        var plaintext = buffer.ToArray();
        var sealedBytes = new byte[NonceLength + TagLength + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(secret, TagLength);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceLength + TagLength), sealedBytes.AsSpan(NonceLength, TagLength));
        return sealedBytes;
    }

    /// <summary>Opens metadata sealed by <see cref="Seal"/>; <see langword="null"/> when there was none.</summary>
    /// <param name="sealedMetadata">The sealed bytes; empty for none.</param>
    /// <param name="secret">The subject's secret.</param>
    /// <exception cref="ConsentStoreIntegrityException">The bytes were not sealed under this secret, or were changed.</exception>
    public static IReadOnlyDictionary<string, string>? Open(ReadOnlySpan<byte> sealedMetadata, ReadOnlySpan<byte> secret)
    {
        if (sealedMetadata.IsEmpty)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);

        if (sealedMetadata.Length < NonceLength + TagLength)
        {
            throw new ConsentStoreIntegrityException("Sealed record metadata is shorter than its nonce and tag.");
        }

        var plaintext = new byte[sealedMetadata.Length - NonceLength - TagLength];
        try
        {
            using var aes = new AesGcm(secret, TagLength);
            aes.Decrypt(sealedMetadata[..NonceLength], sealedMetadata[(NonceLength + TagLength)..], sealedMetadata.Slice(NonceLength, TagLength), plaintext);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new ConsentStoreIntegrityException("Sealed record metadata does not open under the subject's secret: it was changed or moved.", ex);
        }

        var reader = new Utf8JsonReader(plaintext);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            result[key] = reader.GetString()!;
        }

        return result;
    }
}
