using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ConsentKit.Snapshots;

/// <summary>
/// What a snapshot file holds, whatever its format: the <c>consentkit.*</c> metadata, each subject's consent sequence
/// (the one map a reader keeps: no list of rows beside it), how many rows, and the content hash of the rows as read.
/// </summary>
internal sealed record SnapshotContent(IReadOnlyDictionary<string, string> Metadata, Dictionary<string, long> Listed, int RowCount, string ContentSha256)
{
    public const string SubjectColumn = "subject_id";
    public const string SequenceColumn = "consent_sequence";

    /// <summary>Reads either format, told apart by the first bytes (Parquet files begin with <c>PAR1</c>).</summary>
    public static async Task<SnapshotContent> ReadAsync(Stream snapshot, CancellationToken cancellationToken)
    {
        Stream seekable = snapshot;
        if (!snapshot.CanSeek)
        {
            // Parquet's footer is at the end; a forward-only stream is read into memory first.
            var copy = new MemoryStream();
            await snapshot.CopyToAsync(copy, cancellationToken);
            copy.Position = 0;
            seekable = copy;
        }

        var start = seekable.Position;
        var magic = new byte[4];
        var read = await seekable.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken);
        seekable.Position = start;
        return read == 4 && magic.AsSpan().SequenceEqual("PAR1"u8)
            ? await ParquetSnapshotFile.ReadAsync(seekable, cancellationToken)
            : read > 0 && magic[0] == (byte)'#'
                ? await CsvSnapshotFile.ReadAsync(seekable, cancellationToken)
                : throw new ArgumentException("The file is neither a Parquet nor a CSV ConsentKit snapshot.", nameof(snapshot));
    }
}

/// <summary>
/// The content hash of a snapshot's rows, row by row as they are written: SHA-256 over each row's UTF-8
/// <c>subject\tsequence\n</c>, in file order.
/// </summary>
internal sealed class SnapshotHasher : IDisposable
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _buffer = new byte[256];

    public void Append(string subject, long sequence)
    {
        var needed = Encoding.UTF8.GetMaxByteCount(subject.Length) + 22;
        if (_buffer.Length < needed)
        {
            _buffer = new byte[needed];
        }

        var length = Encoding.UTF8.GetBytes(subject, _buffer);
        _buffer[length++] = (byte)'\t';
        sequence.TryFormat(_buffer.AsSpan(length), out var digits, provider: CultureInfo.InvariantCulture);
        length += digits;
        _buffer[length++] = (byte)'\n';
        _sha.AppendData(_buffer, 0, length);
    }

    public string Finish() => Convert.ToHexStringLower(_sha.GetHashAndReset());

    public void Dispose() => _sha.Dispose();
}

/// <summary>Collects a snapshot's rows as a reader reads them: hashed in file order and mapped by subject.</summary>
internal sealed class SnapshotRowSink : IDisposable
{
    private readonly SnapshotHasher _hasher = new();

    public Dictionary<string, long> Listed { get; } = new(StringComparer.Ordinal);

    public int Count { get; private set; }

    public void Add(string subject, long sequence)
    {
        _hasher.Append(subject, sequence);
        Listed[subject] = sequence;
        Count++;
    }

    public SnapshotContent Finish(IReadOnlyDictionary<string, string> metadata) => new(metadata, Listed, Count, _hasher.Finish());

    public void Dispose() => _hasher.Dispose();
}

/// <summary>What a snapshot writer wrote: how many rows, and their content hash.</summary>
internal readonly record struct SnapshotRows(int Count, string ContentSha256);
