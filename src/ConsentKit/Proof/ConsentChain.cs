using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ConsentKit;

/// <summary>
/// The canonical encoding of a consent record and the hash chain over it, shared by every store and by
/// the verifier. The byte layout is fixed and documented in docs/history-proof.md; it never depends
/// on a serializer.
/// </summary>
/// <remarks>
/// Stores call <see cref="ComputeHash"/> while they hold their append lock, with the hash of the entry
/// appended just before (one chain per store). Anyone can recompute every hash from the stored fields.
/// </remarks>
public static class ConsentChain
{
    /// <summary>The length of every hash and digest: SHA-256.</summary>
    public const int HashLength = 32;

    /// <summary>The length of a subject key.</summary>
    public const int SubjectKeyLength = 16;

    private static readonly byte[] RecordTag = "CKR1"u8.ToArray();

    /// <summary>The "previous hash" of the first entry: 32 zero bytes.</summary>
    public static ReadOnlyMemory<byte> GenesisHash { get; } = new byte[HashLength];

    /// <summary>The digest recorded when no notice text was kept for a (purpose, version): 32 zero bytes.</summary>
    public static ReadOnlyMemory<byte> NoNoticeDigest { get; } = new byte[HashLength];

    /// <summary>Computes an entry's hash from its fields and the previous entry's hash.</summary>
    /// <param name="entry">The entry; its <see cref="ConsentChainEntry.Hash"/> is ignored.</param>
    /// <param name="previousHash">The hash of the entry before it, or <see cref="GenesisHash"/> for the first.</param>
    /// <returns>32 bytes.</returns>
    public static byte[] ComputeHash(ConsentChainEntry entry, ReadOnlySpan<byte> previousHash)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (previousHash.Length != HashLength)
        {
            throw new ArgumentException($"A previous hash has {HashLength} bytes.", nameof(previousHash));
        }

        var writer = new ArrayBufferWriter<byte>(256);
        writer.Write(RecordTag);
        WriteInt64(writer, entry.Sequence);
        WriteInt64(writer, entry.PreviousSequence);
        writer.Write(previousHash);
        WriteBytes16(writer, entry.SubjectKey.Span);
        WriteText16(writer, entry.PurposeId);
        WriteByte(writer, (byte)entry.Status);
        WriteText16(writer, entry.NoticeVersion);
        WriteFixed(writer, entry.NoticeDigest.Span, nameof(entry.NoticeDigest));
        WriteInt64(writer, entry.RecordedAtUtcTicks);
        WriteByte(writer, entry.ExpiresAtUtcTicks is null ? (byte)0 : (byte)1);
        WriteInt64(writer, entry.ExpiresAtUtcTicks ?? 0);
        WriteByte(writer, (byte)entry.Method);
        WriteByte(writer, entry.Source is null ? (byte)0 : (byte)1);
        WriteText16(writer, entry.Source ?? string.Empty);
        WriteBytes32(writer, entry.SealedMetadata.Span);
        return SHA256.HashData(writer.WrittenSpan);
    }

    /// <summary>
    /// The entry a store appends for <paramref name="record"/> after the entry (<paramref name="previousSequence"/>,
    /// <paramref name="previousHash"/>): the subject named by its key, the metadata sealed under its secret,
    /// the hash computed. Every store builds its entries here, so they all hash the same fields.
    /// </summary>
    /// <param name="record">The record to append.</param>
    /// <param name="sequence">The sequence the store assigns it.</param>
    /// <param name="previousSequence">The sequence of the store's last entry; <c>0</c> for the first.</param>
    /// <param name="previousHash">The hash of the store's last entry, or <see cref="GenesisHash"/>.</param>
    /// <param name="subjectKey">The subject's pseudonymous key.</param>
    /// <param name="subjectSecret">The subject's secret, which seals the metadata.</param>
    /// <param name="noticeDigest">The kept notice's digest, or <see cref="NoNoticeDigest"/>.</param>
    public static ConsentChainEntry CreateEntry(
        NewConsentRecord record,
        long sequence,
        long previousSequence,
        ReadOnlySpan<byte> previousHash,
        ReadOnlyMemory<byte> subjectKey,
        ReadOnlySpan<byte> subjectSecret,
        ReadOnlyMemory<byte> noticeDigest)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Link(
            new ConsentChainEntry
            {
                Sequence = sequence,
                PreviousSequence = previousSequence,
                SubjectKey = subjectKey,
                PurposeId = record.PurposeId,
                Status = record.Status,
                NoticeVersion = record.NoticeVersion,
                NoticeDigest = noticeDigest,
                RecordedAtUtcTicks = record.RecordedAt.UtcTicks,
                ExpiresAtUtcTicks = record.ExpiresAt?.UtcTicks,
                Method = record.Method,
                Source = record.Source,
                SealedMetadata = ConsentSubjectSecrets.Seal(record.Metadata, subjectSecret),
                Hash = ReadOnlyMemory<byte>.Empty,
            },
            previousHash);
    }

    /// <summary>The entry with its <see cref="ConsentChainEntry.Hash"/> computed from its fields and <paramref name="previousHash"/>.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="previousHash">The hash of the entry before it.</param>
    public static ConsentChainEntry Link(ConsentChainEntry entry, ReadOnlySpan<byte> previousHash) =>
        entry with { Hash = ComputeHash(entry, previousHash) };

    /// <summary>Whether the entry's stored hash is the one its fields and <paramref name="previousHash"/> give.</summary>
    /// <param name="entry">The entry.</param>
    /// <param name="previousHash">The hash of the entry before it.</param>
    public static bool HasValidHash(ConsentChainEntry entry, ReadOnlySpan<byte> previousHash) =>
        CryptographicOperations.FixedTimeEquals(ComputeHash(entry, previousHash), entry.Hash.Span);

    /// <summary>
    /// Checks a record as a store reads it: its stored hash must be the one its fields and the stored
    /// hash of the record before it give. A record changed without recomputing its hash is refused here,
    /// at read time; one whose hash was recomputed breaks the link to the next record, which
    /// <see cref="ConsentHistoryVerifier"/> finds (and an anchored head, at the tail).
    /// </summary>
    /// <param name="entry">The record as stored.</param>
    /// <param name="previousHash">The previous record's hash as stored with this one.</param>
    /// <exception cref="ConsentStoreIntegrityException">The record does not match its hash.</exception>
    public static void CheckStoredEntry(ConsentChainEntry entry, ReadOnlySpan<byte> previousHash)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (previousHash.Length != HashLength || !HasValidHash(entry, previousHash))
        {
            throw new ConsentStoreIntegrityException(
                $"Record {entry.Sequence} does not match its hash: it was changed outside ConsentKit, and is not read.", entry.Sequence);
        }
    }

    internal static void WriteText16(IBufferWriter<byte> writer, string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        if (length > ushort.MaxValue)
        {
            throw new ArgumentException("A text field of a consent record is longer than 65535 UTF-8 bytes.", nameof(text));
        }

        BinaryPrimitives.WriteUInt16BigEndian(writer.GetSpan(2), (ushort)length);
        writer.Advance(2);
        writer.Advance(Encoding.UTF8.GetBytes(text, writer.GetSpan(length)));
    }

    internal static void WriteText32(IBufferWriter<byte> writer, string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        BinaryPrimitives.WriteInt32BigEndian(writer.GetSpan(4), length);
        writer.Advance(4);
        writer.Advance(Encoding.UTF8.GetBytes(text, writer.GetSpan(length)));
    }

    private static void WriteBytes16(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteUInt16BigEndian(writer.GetSpan(2), checked((ushort)bytes.Length));
        writer.Advance(2);
        writer.Write(bytes);
    }

    private static void WriteBytes32(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteInt32BigEndian(writer.GetSpan(4), bytes.Length);
        writer.Advance(4);
        writer.Write(bytes);
    }

    private static void WriteFixed(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes, string field)
    {
        if (bytes.Length != HashLength)
        {
            throw new ArgumentException($"{field} has {HashLength} bytes.", field);
        }

        writer.Write(bytes);
    }

    private static void WriteInt64(IBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    private static void WriteByte(IBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }
}
