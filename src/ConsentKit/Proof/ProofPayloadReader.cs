using System.Buffers.Binary;
using System.Text;

namespace ConsentKit;

/// <summary>Reads a proof-log payload field by field; a field past the end throws <see cref="ArgumentOutOfRangeException"/>.</summary>
internal ref struct ProofPayloadReader(ReadOnlySpan<byte> payload)
{
    private ReadOnlySpan<byte> _rest = payload;

    public readonly bool AtEnd => _rest.IsEmpty;

    public ReadOnlySpan<byte> Bytes(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _rest.Length);
        var bytes = _rest[..length];
        _rest = _rest[length..];
        return bytes;
    }

    public PackedSubjectKey Key()
    {
        PackedSubjectKey.TryPack(Bytes(ConsentChain.SubjectKeyLength), out var key);
        return key;
    }

    public byte Byte() => Bytes(1)[0];

    public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Bytes(4));

    public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Bytes(8));

    public long? Optional()
    {
        var has = Byte() == 1;
        var value = Int64();
        return has ? value : null;
    }

    public string Text16() => Strict.GetString(Bytes(BinaryPrimitives.ReadUInt16BigEndian(Bytes(2))));

    public string Text32() => Strict.GetString(Bytes(Int32()));

    private static readonly UTF8Encoding Strict = new(false, true);
}
