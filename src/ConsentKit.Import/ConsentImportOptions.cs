namespace ConsentKit.Import;

/// <summary>Options for <see cref="IConsentImporter"/>.</summary>
public sealed class ConsentImportOptions
{
    /// <summary>
    /// Records written per store transaction (default 50,000; 1 to 1,000,000). Each batch is all or none, and on a
    /// shared store other appends wait for it (PostgreSQL: about 3 s for 50,000 new subjects on a 2-core machine).
    /// A batch is held in memory: 207 MiB peak at the default, 368 MiB at 200,000 for 5 % more speed
    /// (docs/performance.md). Records at the size limits (16 metadata values of 512 characters) are about 30 KB each,
    /// so for such exports lower it.
    /// </summary>
    public int BatchSize { get; set; } = 50_000;

    /// <summary>
    /// The file's column (CSV) or property (JSON Lines) for each of ConsentKit's fields, where they differ:
    /// e.g. <c>["subject_id"] = "user_id"</c>. Fields: <c>subject_id</c>, <c>purpose_id</c>, <c>status</c>,
    /// <c>notice_version</c>, <c>recorded_at</c>, <c>expires_at</c>, <c>method</c>, <c>source</c>.
    /// </summary>
    public IDictionary<string, string> Columns { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The source recorded on rows that name none (default <c>import</c>): name the system the export came from.</summary>
    public string DefaultSource { get; set; } = "import";

    /// <summary>How many problems an <see cref="ConsentImportException"/> lists at most (default 100); every row is still checked.</summary>
    public int MaxProblems { get; set; } = 100;
}
