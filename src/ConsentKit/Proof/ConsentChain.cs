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
        var hash = new byte[HashLength];
        WriteHash(entry, previousHash, hash);
        return hash;
    }

    /// <summary>
    /// Whether <paramref name="hash"/> is the hash of a stored record given as spans — what a store reads
    /// without making strings or arrays (the SQLite scan checks every row this way).
    /// </summary>
    /// <param name="fields">The record's fields as stored.</param>
    /// <param name="hash">The hash stored with it.</param>
    public static bool HashMatches(scoped in ConsentChainFields fields, ReadOnlySpan<byte> hash)
    {
        if (fields.PreviousHash.Length != HashLength || fields.NoticeDigest.Length != HashLength || hash.Length != HashLength)
        {
            return false;
        }

        Span<byte> computed = stackalloc byte[HashLength];
        WriteHash(fields, computed);
        return CryptographicOperations.FixedTimeEquals(computed, hash);
    }

    // Tag, sequence, previous sequence, previous hash, five length prefixes (2 + 2 + 2 + 2 + 4), status,
    // digest, recorded at, has expiry, expiry, method, has source.
    private const int FixedLength = 4 + 8 + 8 + HashLength + 2 + 2 + 1 + 2 + HashLength + 8 + 1 + 8 + 1 + 1 + 2 + 4;

    /// <summary>The one place the record layout is written: SHA-256 of the encoding of <paramref name="fields"/>.</summary>
    private static void WriteHash(scoped in ConsentChainFields fields, Span<byte> destination)
    {
        var length = FixedLength + fields.SubjectKey.Length + fields.PurposeIdUtf8.Length + fields.NoticeVersionUtf8.Length
            + fields.SourceUtf8.Length + fields.SealedMetadata.Length;
        byte[]? rented = null;
        var buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            var w = new SpanWriter(buffer);
            w.Bytes(RecordTag);
            w.Int64(fields.Sequence);
            w.Int64(fields.PreviousSequence);
            w.Bytes(fields.PreviousHash);
            w.Bytes16(fields.SubjectKey);
            w.Bytes16(fields.PurposeIdUtf8);
            w.Byte((byte)fields.Status);
            w.Bytes16(fields.NoticeVersionUtf8);
            w.Bytes(fields.NoticeDigest);
            w.Int64(fields.RecordedAtUtcTicks);
            w.Byte(fields.ExpiresAtUtcTicks is null ? (byte)0 : (byte)1);
            w.Int64(fields.ExpiresAtUtcTicks ?? 0);
            w.Byte((byte)fields.Method);
            w.Byte(fields.HasSource ? (byte)1 : (byte)0);
            w.Bytes16(fields.SourceUtf8);
            w.Bytes32(fields.SealedMetadata);
            SHA256.HashData(buffer[..w.Written], destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>An entry's hash: its texts made UTF-8, then the same layout as a stored row's.</summary>
    private static void WriteHash(ConsentChainEntry entry, ReadOnlySpan<byte> previousHash, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (previousHash.Length != HashLength)
        {
            throw new ArgumentException($"A previous hash has {HashLength} bytes.", nameof(previousHash));
        }

        if (entry.NoticeDigest.Length != HashLength)
        {
            throw new ArgumentException($"{nameof(entry.NoticeDigest)} has {HashLength} bytes.", nameof(entry));
        }

        var source = entry.Source ?? string.Empty;
        var (purposeLength, noticeLength, sourceLength) = (Utf8Length(entry.PurposeId), Utf8Length(entry.NoticeVersion), Utf8Length(source));
        var length = purposeLength + noticeLength + sourceLength;
        byte[]? rented = null;
        var texts = length <= 512 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            Encoding.UTF8.GetBytes(entry.PurposeId, texts);
            Encoding.UTF8.GetBytes(entry.NoticeVersion, texts[purposeLength..]);
            Encoding.UTF8.GetBytes(source, texts[(purposeLength + noticeLength)..]);
            WriteHash(
                new ConsentChainFields
                {
                    Sequence = entry.Sequence,
                    PreviousSequence = entry.PreviousSequence,
                    PreviousHash = previousHash,
                    SubjectKey = entry.SubjectKey.Span,
                    PurposeIdUtf8 = texts[..purposeLength],
                    Status = entry.Status,
                    NoticeVersionUtf8 = texts.Slice(purposeLength, noticeLength),
                    NoticeDigest = entry.NoticeDigest.Span,
                    RecordedAtUtcTicks = entry.RecordedAtUtcTicks,
                    ExpiresAtUtcTicks = entry.ExpiresAtUtcTicks,
                    Method = entry.Method,
                    HasSource = entry.Source is not null,
                    SourceUtf8 = texts[(purposeLength + noticeLength)..],
                    SealedMetadata = entry.SealedMetadata.Span,
                },
                destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int Utf8Length(string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        return length <= ushort.MaxValue
            ? length
            : throw new ArgumentException("A text field of a consent record is longer than 65535 UTF-8 bytes.", nameof(text));
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
    public static bool HasValidHash(ConsentChainEntry entry, ReadOnlySpan<byte> previousHash)
    {
        Span<byte> computed = stackalloc byte[HashLength];
        WriteHash(entry, previousHash, computed);
        return CryptographicOperations.FixedTimeEquals(computed, entry.Hash.Span);
    }

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

    /// <summary>Writes the canonical layout into a span sized for it (big-endian, length-prefixed).</summary>
    private ref struct SpanWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Written { get; private set; }

        public void Bytes(scoped ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Written..]);
            Written += bytes.Length;
        }

        public void Byte(byte value) => _buffer[Written++] = value;

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_buffer[Written..], value);
            Written += 8;
        }

        public void Bytes16(scoped ReadOnlySpan<byte> bytes)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_buffer[Written..], checked((ushort)bytes.Length));
            Written += 2;
            Bytes(bytes);
        }

        public void Bytes32(scoped ReadOnlySpan<byte> bytes)
        {
            BinaryPrimitives.WriteInt32BigEndian(_buffer[Written..], bytes.Length);
            Written += 4;
            Bytes(bytes);
        }
    }
}

/// <summary>
/// A stored record's hashed fields as spans (UTF-8 for text), for stores that check every row they read
/// without making strings or arrays: <see cref="ConsentChain.HashMatches"/>.
/// </summary>
public readonly ref struct ConsentChainFields
{
    /// <summary>The sequence.</summary>
    public long Sequence { get; init; }

    /// <summary>The sequence of the record before it.</summary>
    public long PreviousSequence { get; init; }

    /// <summary>The previous record's hash (32 bytes).</summary>
    public ReadOnlySpan<byte> PreviousHash { get; init; }

    /// <summary>The subject key (16 bytes).</summary>
    public ReadOnlySpan<byte> SubjectKey { get; init; }

    /// <summary>The purpose id, UTF-8.</summary>
    public ReadOnlySpan<byte> PurposeIdUtf8 { get; init; }

    /// <summary>What the record says.</summary>
    public ConsentStatus Status { get; init; }

    /// <summary>The notice version, UTF-8.</summary>
    public ReadOnlySpan<byte> NoticeVersionUtf8 { get; init; }

    /// <summary>The notice digest (32 bytes).</summary>
    public ReadOnlySpan<byte> NoticeDigest { get; init; }

    /// <summary>When it was recorded, UTC ticks.</summary>
    public long RecordedAtUtcTicks { get; init; }

    /// <summary>When a grant stops being valid, UTC ticks; <see langword="null"/> for never.</summary>
    public long? ExpiresAtUtcTicks { get; init; }

    /// <summary>How it was expressed.</summary>
    public ConsentMethod Method { get; init; }

    /// <summary>Whether there is a source (an empty one is a source too).</summary>
    public bool HasSource { get; init; }

    /// <summary>The source, UTF-8; empty when none.</summary>
    public ReadOnlySpan<byte> SourceUtf8 { get; init; }

    /// <summary>The sealed metadata; empty when none.</summary>
    public ReadOnlySpan<byte> SealedMetadata { get; init; }
}
