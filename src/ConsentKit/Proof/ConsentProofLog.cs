using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ConsentKit;

/// <summary>
/// The proof log: a second hash chain, next to the records', over what the subject registry and the
/// data-use ledger did. It binds every subject id to its key (so a swapped, re-pointed or deleted
/// registry row is found), tells an erasure from a deleted row, and makes a training set's membership
/// append-only in the proof. The byte layout is fixed and documented in docs/history-proof.md.
/// </summary>
/// <remarks>
/// Stores append entries inside the transaction that changes the registry or the ledger, with the hash
/// of the log's last entry; sequences are dense (1, 2, 3, …). Nothing here names a person: a
/// registration holds a commitment to the subject id keyed by the subject's secret, which erasure shreds.
/// </remarks>
public static class ConsentProofLog
{
    private static readonly byte[] EntryTag = "CKL1"u8.ToArray();
    private static readonly byte[] CommitmentTag = "CKS1"u8.ToArray();

    /// <summary>Computes an entry's hash from its fields.</summary>
    /// <param name="sequence">The entry's sequence.</param>
    /// <param name="kind">What it says.</param>
    /// <param name="payload">Its payload.</param>
    /// <param name="previousHash">The previous entry's hash, or <see cref="ConsentChain.GenesisHash"/>.</param>
    public static byte[] ComputeHash(long sequence, ConsentProofEntryKind kind, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> previousHash)
    {
        if (previousHash.Length != ConsentChain.HashLength)
        {
            throw new ArgumentException($"A previous hash has {ConsentChain.HashLength} bytes.", nameof(previousHash));
        }

        var hash = new byte[ConsentChain.HashLength];
        WriteHash(sequence, kind, payload, previousHash, hash);
        return hash;
    }

    private static void WriteHash(long sequence, ConsentProofEntryKind kind, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> previousHash, Span<byte> destination)
    {
        var length = 4 + 8 + ConsentChain.HashLength + 1 + 4 + payload.Length;
        byte[]? rented = null;
        var buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            EntryTag.CopyTo(buffer);
            BinaryPrimitives.WriteInt64BigEndian(buffer[4..], sequence);
            previousHash.CopyTo(buffer[12..]);
            buffer[44] = (byte)kind;
            BinaryPrimitives.WriteInt32BigEndian(buffer[45..], payload.Length);
            payload.CopyTo(buffer[49..]);
            SHA256.HashData(buffer, destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>A new entry, hashed.</summary>
    /// <param name="sequence">The entry's sequence (the log's last + 1).</param>
    /// <param name="kind">What it says.</param>
    /// <param name="payload">Its payload, from one of this class's payload methods.</param>
    /// <param name="previousHash">The log's last hash, or <see cref="ConsentChain.GenesisHash"/>.</param>
    public static ConsentProofEntry CreateEntry(long sequence, ConsentProofEntryKind kind, byte[] payload, ReadOnlySpan<byte> previousHash)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return new ConsentProofEntry
        {
            Sequence = sequence,
            Kind = kind,
            Payload = payload,
            PreviousHash = previousHash.ToArray(),
            Hash = ComputeHash(sequence, kind, payload, previousHash),
        };
    }

    /// <summary>Whether the entry's stored hash is the one its fields give.</summary>
    /// <param name="entry">The entry.</param>
    public static bool HasValidHash(ConsentProofEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return HashMatches(entry.Sequence, entry.Kind, entry.Payload.Span, entry.PreviousHash.Span, entry.Hash.Span);
    }

    private static bool HashMatches(long sequence, ConsentProofEntryKind kind, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> previousHash, ReadOnlySpan<byte> hash)
    {
        if (previousHash.Length != ConsentChain.HashLength)
        {
            return false;
        }

        Span<byte> computed = stackalloc byte[ConsentChain.HashLength];
        WriteHash(sequence, kind, payload, previousHash, computed);
        return CryptographicOperations.FixedTimeEquals(computed, hash);
    }

    /// <summary>
    /// The commitment binding a subject id to its key: HMAC-SHA-256 keyed by the subject's secret over
    /// <c>"CKS1" ‖ u16 length ‖ subject id (UTF-8) ‖ subject key</c>. Without the secret it says nothing
    /// about the id, so erasure (which deletes the secret) keeps it from leading to the person.
    /// </summary>
    /// <param name="subjectId">The subject id.</param>
    /// <param name="subjectKey">The subject's key.</param>
    /// <param name="secret">The subject's secret.</param>
    public static byte[] SubjectCommitment(string subjectId, ReadOnlySpan<byte> subjectKey, ReadOnlySpan<byte> secret)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        var commitment = new byte[ConsentChain.HashLength];
        WriteCommitment(subjectId, subjectKey, secret, commitment);
        return commitment;
    }

    private static void WriteCommitment(string subjectId, ReadOnlySpan<byte> subjectKey, ReadOnlySpan<byte> secret, Span<byte> destination)
    {
        var idLength = System.Text.Encoding.UTF8.GetByteCount(subjectId);
        if (idLength > ushort.MaxValue)
        {
            throw new ArgumentException("A subject id is longer than 65535 UTF-8 bytes.", nameof(subjectId));
        }

        var length = 4 + 2 + idLength + subjectKey.Length;
        byte[]? rented = null;
        var buffer = length <= 512 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            CommitmentTag.CopyTo(buffer);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], (ushort)idLength);
            System.Text.Encoding.UTF8.GetBytes(subjectId, buffer[6..]);
            subjectKey.CopyTo(buffer[(6 + idLength)..]);
            HMACSHA256.HashData(secret, buffer, destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The payload of <see cref="ConsentProofEntryKind.SubjectRegistered"/>: key (16) ‖ commitment (32).</summary>
    /// <param name="subjectId">The subject id.</param>
    /// <param name="subjectKey">The subject's new key.</param>
    /// <param name="secret">The subject's new secret.</param>
    public static byte[] SubjectRegistered(string subjectId, ReadOnlySpan<byte> subjectKey, ReadOnlySpan<byte> secret)
    {
        CheckKey(subjectKey);
        return [.. subjectKey, .. SubjectCommitment(subjectId, subjectKey, secret)];
    }

    /// <summary>The payload of <see cref="ConsentProofEntryKind.SubjectErased"/>: key (16) ‖ erased at, UTC ticks (int64).</summary>
    /// <param name="subjectKey">The erased subject's key.</param>
    /// <param name="erasedAt">When.</param>
    public static byte[] SubjectErased(ReadOnlySpan<byte> subjectKey, DateTimeOffset erasedAt)
    {
        CheckKey(subjectKey);
        var payload = new byte[ConsentChain.SubjectKeyLength + 8];
        subjectKey.CopyTo(payload);
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(ConsentChain.SubjectKeyLength), erasedAt.UtcTicks);
        return payload;
    }

    /// <summary>The payload of <see cref="ConsentProofEntryKind.DataUseStarted"/>: id, purpose, description, started at.</summary>
    /// <param name="dataUse">The data use.</param>
    public static byte[] DataUseStarted(NewDataUse dataUse)
    {
        ArgumentNullException.ThrowIfNull(dataUse);
        var buffer = new ArrayBufferWriter<byte>(128);
        ConsentChain.WriteText16(buffer, dataUse.Id);
        ConsentChain.WriteText16(buffer, dataUse.PurposeId);
        ConsentChain.WriteText32(buffer, dataUse.Description);
        WriteInt64(buffer, dataUse.StartedAt.UtcTicks);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The payload of <see cref="ConsentProofEntryKind.DataUseSubjectsAdded"/>: id, count (int32), then per
    /// subject its key (16) and the sequence of the grant used (int64) — the rows the store added.
    /// </summary>
    /// <param name="dataUseId">The data use.</param>
    /// <param name="added">The rows added.</param>
    public static byte[] DataUseSubjectsAdded(string dataUseId, IReadOnlyList<(byte[] SubjectKey, long ConsentSequence)> added)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        ArgumentNullException.ThrowIfNull(added);
        var buffer = new ArrayBufferWriter<byte>(32 + (added.Count * 24));
        ConsentChain.WriteText16(buffer, dataUseId);
        BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), added.Count);
        buffer.Advance(4);
        foreach (var (key, sequence) in added)
        {
            CheckKey(key);
            buffer.Write(key);
            WriteInt64(buffer, sequence);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The payload of <see cref="ConsentProofEntryKind.DataUseEnded"/>: id, status, ended at, items seen and kept, failure reason.</summary>
    /// <param name="dataUseId">The data use.</param>
    /// <param name="status">How it ended.</param>
    /// <param name="endedAt">When.</param>
    /// <param name="itemsSeen">Items seen, for a completed use.</param>
    /// <param name="itemsKept">Items kept, for a completed use.</param>
    /// <param name="failureReason">Why it failed.</param>
    public static byte[] DataUseEnded(string dataUseId, DataUseStatus status, DateTimeOffset endedAt, long? itemsSeen, long? itemsKept, string? failureReason)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        var buffer = new ArrayBufferWriter<byte>(64);
        ConsentChain.WriteText16(buffer, dataUseId);
        buffer.GetSpan(1)[0] = (byte)status;
        buffer.Advance(1);
        WriteInt64(buffer, endedAt.UtcTicks);
        WriteOptional(buffer, itemsSeen);
        WriteOptional(buffer, itemsKept);
        buffer.GetSpan(1)[0] = failureReason is null ? (byte)0 : (byte)1;
        buffer.Advance(1);
        ConsentChain.WriteText32(buffer, failureReason ?? string.Empty);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Checks, as a store reads a subject's records, that the registry row it followed is the one the
    /// proof log registered: the entry's hash, its key, and the commitment to the subject id.
    /// </summary>
    /// <param name="subjectId">The id the registry row holds.</param>
    /// <param name="subjectKey">The key the registry row holds.</param>
    /// <param name="secret">The secret the registry row holds.</param>
    /// <param name="registration">The log's <see cref="ConsentProofEntryKind.SubjectRegistered"/> entry for that key, or <see langword="null"/> when there is none.</param>
    /// <param name="firstSequence">A record of the subject, named in the exception.</param>
    /// <exception cref="ConsentStoreIntegrityException">The registry row is not the one the log registered.</exception>
    public static void CheckRegistration(string subjectId, ReadOnlySpan<byte> subjectKey, ReadOnlySpan<byte> secret, ConsentProofEntry? registration, long firstSequence)
    {
        if (registration is not null && registration.Kind != ConsentProofEntryKind.SubjectRegistered)
        {
            registration = null;
        }

        CheckRegistration(
            subjectId,
            subjectKey,
            secret,
            registration?.Sequence ?? 0,
            registration is null ? [] : registration.Payload.Span,
            registration is null ? [] : registration.PreviousHash.Span,
            registration is null ? [] : registration.Hash.Span,
            firstSequence);
    }

    /// <summary>
    /// <see cref="CheckRegistration(string, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ConsentProofEntry?, long)"/> from the
    /// registration's columns as spans, for stores that check every row they read without making arrays.
    /// </summary>
    /// <param name="subjectId">The id the registry row holds.</param>
    /// <param name="subjectKey">The key the registry row holds.</param>
    /// <param name="secret">The secret the registry row holds.</param>
    /// <param name="registrationSequence">The log sequence of the key's registration; <c>0</c> when there is none.</param>
    /// <param name="payload">The registration's payload.</param>
    /// <param name="previousHash">The registration's previous hash.</param>
    /// <param name="hash">The registration's hash.</param>
    /// <param name="firstSequence">A record of the subject, named in the exception.</param>
    /// <exception cref="ConsentStoreIntegrityException">The registry row is not the one the log registered.</exception>
    public static void CheckRegistration(
        string subjectId,
        ReadOnlySpan<byte> subjectKey,
        ReadOnlySpan<byte> secret,
        long registrationSequence,
        ReadOnlySpan<byte> payload,
        ReadOnlySpan<byte> previousHash,
        ReadOnlySpan<byte> hash,
        long firstSequence)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        if (registrationSequence <= 0)
        {
            throw new ConsentStoreIntegrityException(
                $"The subject registry links a subject to key {Convert.ToHexStringLower(subjectKey)}, which the proof log never registered: the registry was changed outside ConsentKit.",
                firstSequence);
        }

        if (!HashMatches(registrationSequence, ConsentProofEntryKind.SubjectRegistered, payload, previousHash, hash))
        {
            throw new ConsentStoreIntegrityException($"Proof log entry {registrationSequence} does not match its hash.", firstSequence);
        }

        Span<byte> commitment = stackalloc byte[ConsentChain.HashLength];
        WriteCommitment(subjectId, subjectKey, secret, commitment);
        if (payload.Length != ConsentChain.SubjectKeyLength + ConsentChain.HashLength
            || !payload[..ConsentChain.SubjectKeyLength].SequenceEqual(subjectKey)
            || !CryptographicOperations.FixedTimeEquals(payload[ConsentChain.SubjectKeyLength..], commitment))
        {
            throw new ConsentStoreIntegrityException(
                $"The subject registry row of key {Convert.ToHexStringLower(subjectKey)} is not the one proof log entry {registrationSequence} registered (swapped, re-pointed or replaced): its records are not read as anyone's.",
                firstSequence);
        }
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != ConsentChain.SubjectKeyLength)
        {
            throw new ArgumentException($"A subject key has {ConsentChain.SubjectKeyLength} bytes.", nameof(key));
        }
    }

    private static void WriteInt64(ArrayBufferWriter<byte> buffer, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    private static void WriteOptional(ArrayBufferWriter<byte> buffer, long? value)
    {
        buffer.GetSpan(1)[0] = value is null ? (byte)0 : (byte)1;
        buffer.Advance(1);
        WriteInt64(buffer, value ?? 0);
    }
}
