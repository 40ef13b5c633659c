using System.Buffers;
using System.Security.Cryptography;

namespace ConsentKit;

/// <summary>
/// What a person was shown for one version of a purpose's notice, word for word, as the store keeps it.
/// </summary>
/// <remarks>
/// A (purpose, version) is written once, when it is first seen, and never changes: a changed text
/// needs a new version. Records hash the notice's <see cref="Digest"/>, so the chain proves the text too.
/// </remarks>
public sealed class ConsentNotice
{
    private static readonly byte[] NoticeTag = "CKN1"u8.ToArray();
    private byte[]? _digest;

    /// <summary>The purpose.</summary>
    public required string PurposeId { get; init; }

    /// <summary>The notice version.</summary>
    public required string NoticeVersion { get; init; }

    /// <summary>The purpose's name as shown.</summary>
    public required string DisplayName { get; init; }

    /// <summary>The text shown.</summary>
    public required string Text { get; init; }

    /// <summary>SHA-256 over the notice's canonical encoding (docs/history-proof.md).</summary>
    public ReadOnlyMemory<byte> Digest => _digest ??= ComputeDigest();

    /// <summary>The notice a purpose shows now: its display name and description under its notice version.</summary>
    /// <param name="purpose">The purpose.</param>
    public static ConsentNotice For(ConsentPurpose purpose)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        return new ConsentNotice
        {
            PurposeId = purpose.Id,
            NoticeVersion = purpose.NoticeVersion,
            DisplayName = purpose.DisplayName,
            Text = purpose.Description,
        };
    }

    /// <summary>Whether the two say the same thing (same purpose, version, name and text).</summary>
    /// <param name="other">The other notice.</param>
    public bool SameAs(ConsentNotice other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Digest.Span.SequenceEqual(other.Digest.Span);
    }

    /// <summary>Whether this is, provably, the text <paramref name="record"/> was made under: its chained digest is this notice's.</summary>
    /// <param name="record">A stored record.</param>
    public bool WasShownFor(ConsentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.PurposeId == PurposeId && record.NoticeVersion == NoticeVersion && record.NoticeDigest.Span.SequenceEqual(Digest.Span);
    }

    /// <inheritdoc />
    public override string ToString() => $"{PurposeId} notice {NoticeVersion}";

    private byte[] ComputeDigest()
    {
        var writer = new ArrayBufferWriter<byte>(256);
        writer.Write(NoticeTag);
        ConsentChain.WriteText16(writer, PurposeId);
        ConsentChain.WriteText16(writer, NoticeVersion);
        ConsentChain.WriteText32(writer, DisplayName);
        ConsentChain.WriteText32(writer, Text);
        return SHA256.HashData(writer.WrittenSpan);
    }
}
