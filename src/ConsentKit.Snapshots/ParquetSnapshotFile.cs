using Parquet;
using Parquet.Schema;

namespace ConsentKit.Snapshots;

/// <summary>Snapshots as Parquet: two columns, the metadata in the file's key-value metadata.</summary>
internal static class ParquetSnapshotFile
{
    private static readonly DataField<string> SubjectField = new(SnapshotContent.SubjectColumn);
    private static readonly DataField<long> SequenceField = new(SnapshotContent.SequenceColumn);
    private static readonly ParquetSchema Schema = new(SubjectField, SequenceField);

    public static async Task WriteAsync(SnapshotContent content, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = await ParquetWriter.CreateAsync(Schema, output, cancellationToken: cancellationToken);
        writer.CustomMetadata = content.Metadata.ToDictionary();
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(SubjectField, content.Rows.Select(r => r.Subject).ToArray(), null);
        await group.WriteAsync<long>(SequenceField, content.Rows.Select(r => r.Sequence).ToArray(), null, null, cancellationToken);
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
            var rows = new List<(string Subject, long Sequence)>();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var subjects = new string?[group.RowCount];
                var sequences = new long[group.RowCount];
                await group.ReadAsync(SubjectField, subjects.AsMemory(), null, cancellationToken);
                await group.ReadAsync<long>(SequenceField, sequences, null, cancellationToken);
                for (var i = 0; i < subjects.Length; i++)
                {
                    rows.Add((subjects[i] ?? throw new ArgumentException($"Row {i} of the snapshot has no subject id.", nameof(snapshot)), sequences[i]));
                }
            }

            return new SnapshotContent(reader.CustomMetadata.ToDictionary(), rows);
        }
    }
}
