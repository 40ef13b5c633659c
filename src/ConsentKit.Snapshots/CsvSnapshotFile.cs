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

    /// <summary>
    /// Writes the metadata lines, then the rows. The content hash heads the file but is known only after the last row,
    /// so the rows are written to a temporary file first and copied after the metadata: memory stays flat, and the
    /// output receives nothing if the read fails.
    /// </summary>
    public static async Task<SnapshotRows> WriteAsync(
        Dictionary<string, string> metadata, IAsyncEnumerable<ConsentAllowedSubject> subjects, Stream output, CancellationToken cancellationToken)
    {
        var rowsPath = Path.GetTempFileName();
        try
        {
            using var hasher = new SnapshotHasher();
            var count = 0;
            await using (var rowsFile = new FileStream(rowsPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.SequentialScan))
            await using (var rowsText = new StreamWriter(rowsFile, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" })
            await using (var csv = new CsvWriter(rowsText, Configuration, leaveOpen: true))
            {
                await foreach (var subject in subjects.WithCancellation(cancellationToken))
                {
                    hasher.Append(subject.SubjectId, subject.GrantSequence);
                    csv.WriteField(subject.SubjectId);
                    csv.WriteField(subject.GrantSequence);
                    await csv.NextRecordAsync();
                    count++;
                }

                await csv.FlushAsync();
            }

            var hash = hasher.Finish();
            metadata["consentkit.content_sha256"] = hash;
            await using (var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true) { NewLine = "\n" })
            {
                foreach (var (key, value) in metadata)
                {
                    await text.WriteLineAsync($"# {key}={value}".AsMemory(), cancellationToken);
                }

                await text.WriteLineAsync(Header.AsMemory(), cancellationToken);
            }

            await using (var rows = new FileStream(rowsPath, FileMode.Open, FileAccess.Read, FileShare.None, 1 << 16, FileOptions.SequentialScan))
            {
                await rows.CopyToAsync(output, cancellationToken);
            }

            return new SnapshotRows(count, hash);
        }
        finally
        {
            File.Delete(rowsPath);
        }
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

        using var rows = new SnapshotRowSink();
        using var csv = new CsvReader(text, Configuration, leaveOpen: true);
        while (await csv.ReadAsync())
        {
            var row = rows.Count + 1;
            if (csv.Parser.Count != 2 || !long.TryParse(csv.GetField(1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            {
                throw new ArgumentException($"Row {row} of the CSV snapshot is not 'subject_id,consent_sequence'.", nameof(snapshot));
            }

            rows.Add(csv.GetField(0)!, sequence);
        }

        return rows.Finish(metadata);
    }
}
