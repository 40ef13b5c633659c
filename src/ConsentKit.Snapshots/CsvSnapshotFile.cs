using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace ConsentKit.Snapshots;

/// <summary>
/// Snapshots as CSV (CsvHelper does the quoting: subject ids may hold commas and quotes): the metadata as
/// leading <c># key=value</c> lines, which DuckDB and Spark skip with their comment option.
/// </summary>
internal static class CsvSnapshotFile
{
    private static readonly CsvConfiguration Configuration = new(CultureInfo.InvariantCulture) { HasHeaderRecord = false, NewLine = "\n" };
    private static readonly string Header = SnapshotContent.SubjectColumn + "," + SnapshotContent.SequenceColumn;

    public static async Task WriteAsync(SnapshotContent content, Stream output, CancellationToken cancellationToken)
    {
        await using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true) { NewLine = "\n" };
        foreach (var (key, value) in content.Metadata)
        {
            await text.WriteLineAsync($"# {key}={value}".AsMemory(), cancellationToken);
        }

        await text.WriteLineAsync(Header.AsMemory(), cancellationToken);
        await using var csv = new CsvWriter(text, Configuration, leaveOpen: true);
        foreach (var (subject, sequence) in content.Rows)
        {
            csv.WriteField(subject);
            csv.WriteField(sequence);
            await csv.NextRecordAsync();
        }

        await csv.FlushAsync();
    }

    public static async Task<SnapshotContent> ReadAsync(Stream snapshot, CancellationToken cancellationToken)
    {
        using var text = new StreamReader(snapshot, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        string? line;
        while ((line = await text.ReadLineAsync(cancellationToken)) is not null && line.StartsWith('#'))
        {
            var pair = line[1..].TrimStart();
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                metadata[pair[..equals]] = pair[(equals + 1)..];
            }
        }

        if (!string.Equals(line, Header, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The CSV snapshot's header is not '{Header}'.", nameof(snapshot));
        }

        var rows = new List<(string Subject, long Sequence)>();
        using var csv = new CsvReader(text, Configuration, leaveOpen: true);
        while (await csv.ReadAsync())
        {
            var row = rows.Count + 1;
            if (csv.Parser.Count != 2 || !long.TryParse(csv.GetField(1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            {
                throw new ArgumentException($"Row {row} of the CSV snapshot is not 'subject_id,consent_sequence'.", nameof(snapshot));
            }

            rows.Add((csv.GetField(0)!, sequence));
        }

        return new SnapshotContent(metadata, rows);
    }
}
