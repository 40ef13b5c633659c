using Parquet;
using Parquet.Schema;

namespace ConsentKit.Snapshots;

/// <summary>Snapshots as Parquet: two columns, the metadata in the file's key-value metadata.</summary>
internal static class ParquetSnapshotFile
{
    private static readonly DataField<string> SubjectField = new(SnapshotContent.SubjectColumn);
    private static readonly DataField<long> SequenceField = new(SnapshotContent.SequenceColumn);
    private static readonly ParquetSchema Schema = new(SubjectField, SequenceField);

    /// <summary>Rows per row group: a group is held in memory until it is written (about 60 MB at a million ids).</summary>
    internal const int RowGroupSize = 1_000_000;

    /// <summary>Writes the rows as they come, a row group at a time; the content hash goes into the footer's metadata.</summary>
    public static async Task<SnapshotRows> WriteAsync(
        Dictionary<string, string> metadata, IAsyncEnumerable<ConsentAllowedSubject> subjects, Stream output, CancellationToken cancellationToken)
    {
        using var hasher = new SnapshotHasher();
        await using var writer = await ParquetWriter.CreateAsync(Schema, output, cancellationToken: cancellationToken);
        var ids = new string[RowGroupSize];
        var sequences = new long[RowGroupSize];
        var inGroup = 0;
        var count = 0;
        await foreach (var subject in subjects.WithCancellation(cancellationToken))
        {
            hasher.Append(subject.SubjectId, subject.GrantSequence);
            ids[inGroup] = subject.SubjectId;
            sequences[inGroup++] = subject.GrantSequence;
            count++;
            if (inGroup == RowGroupSize)
            {
                await WriteGroupAsync(writer, ids, sequences, inGroup, cancellationToken);
                inGroup = 0;
            }
        }

        if (inGroup > 0 || count == 0)
        {
            await WriteGroupAsync(writer, ids, sequences, inGroup, cancellationToken);
        }

        var hash = hasher.Finish();
        metadata["consentkit.content_sha256"] = hash;
        writer.CustomMetadata = metadata;
        return new SnapshotRows(count, hash);
    }

    private static async Task WriteGroupAsync(ParquetWriter writer, string[] ids, long[] sequences, int count, CancellationToken cancellationToken)
    {
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(SubjectField, count == ids.Length ? ids : ids[..count], null);
        await group.WriteAsync<long>(SequenceField, sequences.AsMemory(0, count), null, null, cancellationToken);
    }

    public static async Task<SnapshotContent> ReadAsync(Stream snapshot, CancellationToken cancellationToken)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(snapshot, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            throw new ArgumentException("Not a Parquet file: " + ex.Message, nameof(snapshot), ex);
        }

        await using (reader)
        {
            using var rows = new SnapshotRowSink();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var subjects = new string?[group.RowCount];
                var sequences = new long[group.RowCount];
                await group.ReadAsync(SubjectField, subjects.AsMemory(), null, cancellationToken);
                await group.ReadAsync<long>(SequenceField, sequences, null, cancellationToken);
                for (var i = 0; i < subjects.Length; i++)
                {
                    rows.Add(subjects[i] ?? throw new ArgumentException($"Row {i} of the snapshot has no subject id.", nameof(snapshot)), sequences[i]);
                }
            }

            return rows.Finish(reader.CustomMetadata.ToDictionary());
        }
    }
}
