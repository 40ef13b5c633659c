namespace ConsentKit.Import;

/// <summary>One row of an import file as read, before it is checked: its fields by <see cref="ImportFields"/> index.</summary>
internal sealed class ImportRow
{
    public long Line { get; set; }

    public string?[] Fields { get; } = new string?[ImportFields.Names.Length];

    public Dictionary<string, string>? Metadata { get; set; }

    /// <summary>A problem found while reading (not a JSON object, a value that is not a string).</summary>
    public ConsentImportProblem? ReadProblem { get; set; }

    public void Clear()
    {
        Array.Clear(Fields);
        Metadata = null;
        ReadProblem = null;
    }
}

/// <summary>ConsentKit's field names in an import file, and where each is in <see cref="ImportRow.Fields"/>.</summary>
internal static class ImportFields
{
    public const int SubjectId = 0;
    public const int PurposeId = 1;
    public const int Status = 2;
    public const int NoticeVersion = 3;
    public const int RecordedAt = 4;
    public const int ExpiresAt = 5;
    public const int Method = 6;
    public const int Source = 7;

    public const string MetadataPrefix = "metadata.";

    public static readonly string[] Names = ["subject_id", "purpose_id", "status", "notice_version", "recorded_at", "expires_at", "method", "source"];

    /// <summary>The file's name for each field, after <see cref="ConsentImportOptions.Columns"/>.</summary>
    public static string[] Mapped(ConsentImportOptions options)
    {
        var mapped = (string[])Names.Clone();
        foreach (var (field, column) in options.Columns)
        {
            var index = Array.IndexOf(Names, field);
            if (index < 0)
            {
                throw new ArgumentException($"Columns names '{field}', which is not a field of an import row ({string.Join(", ", Names)}).", nameof(options));
            }

            mapped[index] = column;
        }

        return mapped;
    }
}
