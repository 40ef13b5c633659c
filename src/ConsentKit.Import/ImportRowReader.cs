using System.Globalization;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;

namespace ConsentKit.Import;

/// <summary>Reads an import file row by row into one reused <see cref="ImportRow"/>.</summary>
internal abstract class ImportRowReader : IDisposable
{
    public static ImportRowReader Open(Stream input, ConsentImportFormat format, string[] columns) => format switch
    {
        ConsentImportFormat.Csv => new CsvRows(input, columns),
        ConsentImportFormat.JsonLines => new JsonLinesRows(input, columns),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown import format."),
    };

    /// <summary>Problems with the file as a whole (a CSV header naming an unknown column, a required column missing).</summary>
    public List<ConsentImportProblem> FileProblems { get; } = [];

    /// <summary>Reads the next row into <paramref name="row"/>; <see langword="false"/> at the end.</summary>
    public abstract bool Read(ImportRow row);

    public abstract void Dispose();

    private sealed class CsvRows : ImportRowReader
    {
        private readonly StreamReader _text;
        private readonly CsvParser _parser;
        private readonly int[] _fieldColumns;
        private readonly (int Column, string Key)[] _metadataColumns;

        public CsvRows(Stream input, string[] columns)
        {
            _text = new StreamReader(input, leaveOpen: true);
            _parser = new CsvParser(_text, new CsvConfiguration(CultureInfo.InvariantCulture) { DetectColumnCountChanges = false }, leaveOpen: true);
            _fieldColumns = new int[columns.Length];
            Array.Fill(_fieldColumns, -1);
            var metadata = new List<(int, string)>();
            if (!_parser.Read())
            {
                FileProblems.Add(new(1, "header", "The file is empty: a CSV import starts with a header row naming its columns."));
                _metadataColumns = [];
                return;
            }

            var header = _parser.Record ?? [];
            for (var i = 0; i < header.Length; i++)
            {
                var name = header[i].Trim();
                var field = Array.IndexOf(columns, name);
                if (field >= 0)
                {
                    _fieldColumns[field] = i;
                }
                else if (name.StartsWith(ImportFields.MetadataPrefix, StringComparison.Ordinal) && name.Length > ImportFields.MetadataPrefix.Length)
                {
                    metadata.Add((i, name[ImportFields.MetadataPrefix.Length..]));
                }
                else
                {
                    FileProblems.Add(new(1, name, $"The column '{name}' is not a field of an import row: map it to one (Columns / --map field=column) or name it metadata.<key>."));
                }
            }

            foreach (var required in new[] { ImportFields.SubjectId, ImportFields.PurposeId, ImportFields.Status, ImportFields.NoticeVersion, ImportFields.RecordedAt })
            {
                if (_fieldColumns[required] < 0)
                {
                    FileProblems.Add(new(1, ImportFields.Names[required], $"The header has no column '{columns[required]}' for {ImportFields.Names[required]}."));
                }
            }

            _metadataColumns = [.. metadata];
        }

        public override bool Read(ImportRow row)
        {
            row.Clear();
            if (!_parser.Read())
            {
                return false;
            }

            var record = _parser.Record!;
            row.Line = _parser.RawRow;
            for (var field = 0; field < _fieldColumns.Length; field++)
            {
                var column = _fieldColumns[field];
                row.Fields[field] = column >= 0 && column < record.Length && record[column].Length > 0 ? record[column] : null;
            }

            foreach (var (column, key) in _metadataColumns)
            {
                if (column < record.Length && record[column].Length > 0)
                {
                    (row.Metadata ??= new(StringComparer.Ordinal))[key] = record[column];
                }
            }

            return true;
        }

        public override void Dispose()
        {
            _parser.Dispose();
            _text.Dispose();
        }
    }

    private sealed class JsonLinesRows(Stream input, string[] columns) : ImportRowReader
    {
        private readonly StreamReader _text = new(input, leaveOpen: true);
        private long _line;

        public override bool Read(ImportRow row)
        {
            row.Clear();
            string? line;
            do
            {
                line = _text.ReadLine();
                _line++;
            }
            while (line is not null && string.IsNullOrWhiteSpace(line));

            if (line is null)
            {
                return false;
            }

            row.Line = _line;
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    row.ReadProblem = new(_line, "line", "A JSON Lines import holds one JSON object per line.");
                    return true;
                }

                foreach (var property in document.RootElement.EnumerateObject())
                {
                    var field = Array.IndexOf(columns, property.Name);
                    if (field >= 0)
                    {
                        row.Fields[field] = property.Value.ValueKind switch
                        {
                            JsonValueKind.String => property.Value.GetString() is { Length: > 0 } text ? text : null,
                            JsonValueKind.Null => null,
                            _ => throw new FormatException($"{property.Name} must be a string or null."),
                        };
                    }
                    else if (property.Name == "metadata" && property.Value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var entry in property.Value.EnumerateObject())
                        {
                            (row.Metadata ??= new(StringComparer.Ordinal))[entry.Name] = entry.Value.ValueKind == JsonValueKind.String
                                ? entry.Value.GetString()!
                                : throw new FormatException($"metadata.{entry.Name} must be a string.");
                        }
                    }
                    else if (property.Name != "metadata" || property.Value.ValueKind != JsonValueKind.Null)
                    {
                        throw new FormatException($"'{property.Name}' is not a field of an import row: map it to one (Columns / --map field=column) or put it under metadata.");
                    }
                }
            }
            catch (JsonException ex)
            {
                row.ReadProblem = new(_line, "line", $"Not valid JSON: {ex.Message}");
            }
            catch (FormatException ex)
            {
                row.ReadProblem = new(_line, "line", ex.Message);
            }

            return true;
        }

        public override void Dispose() => _text.Dispose();
    }
}
