using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace ConsentKit;

/// <summary>
/// A 16-byte subject key held as two words. The verifier keeps one per person (10M people: a hex string each
/// was about 80 B more per key, and three maps held them), so it compares and hashes these instead. Not
/// <see cref="UInt128"/> (as the SQLite scan uses): its 16-byte alignment pads a (key, purpose number) map key
/// from 24 to 32 bytes.
/// </summary>
internal readonly record struct PackedSubjectKey(ulong High, ulong Low)
{
    /// <summary>Packs <paramref name="key"/>; <see langword="false"/> when it is not <see cref="ConsentChain.SubjectKeyLength"/> bytes.</summary>
    public static bool TryPack(ReadOnlySpan<byte> key, out PackedSubjectKey packed)
    {
        if (key.Length != ConsentChain.SubjectKeyLength)
        {
            packed = default;
            return false;
        }

        packed = new(BinaryPrimitives.ReadUInt64BigEndian(key), BinaryPrimitives.ReadUInt64BigEndian(key[8..]));
        return true;
    }

    /// <summary>Packs the hex form <c>ToString</c> writes; <see langword="false"/> for anything else.</summary>
    public static bool TryParse(string hex, out PackedSubjectKey packed)
    {
        Span<byte> bytes = stackalloc byte[ConsentChain.SubjectKeyLength];
        if (hex.Length == 2 * ConsentChain.SubjectKeyLength
            && Convert.FromHexString(hex, bytes, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == bytes.Length)
        {
            return TryPack(bytes, out packed);
        }

        packed = default;
        return false;
    }

    /// <summary>The lowercase hex form the verifier's messages name keys by.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[ConsentChain.SubjectKeyLength];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Low);
        return Convert.ToHexStringLower(bytes);
    }
}

/// <summary>A SHA-256 value kept inline (no array and its 24-byte header per registered person).</summary>
[InlineArray(ConsentChain.HashLength)]
internal struct Digest32
{
    private byte _first;

    public static Digest32 From(ReadOnlySpan<byte> bytes)
    {
        var digest = default(Digest32);
        bytes.CopyTo(digest);
        return digest;
    }
}
