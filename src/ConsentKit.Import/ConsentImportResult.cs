namespace ConsentKit.Import;

/// <summary>What an import wrote.</summary>
public sealed class ConsentImportResult
{
    /// <summary>The rows in the file.</summary>
    public required long Rows { get; init; }

    /// <summary>The records appended to the store.</summary>
    public required long Imported { get; init; }

    /// <summary>
    /// Rows not written because the store (or an earlier row of the file) already holds a choice for that person and
    /// purpose recorded at the same time or later: an import never makes an older choice current. Re-running a file
    /// after a failure skips what the first run wrote.
    /// </summary>
    public required long Skipped { get; init; }

    /// <summary>Grants imported.</summary>
    public required long Grants { get; init; }

    /// <summary>
    /// Grants imported under a notice version other than the purpose's current one: the gate denies them (outdated
    /// notice) until the person grants again under the current notice.
    /// </summary>
    public required long GrantsUnderOlderNotice { get; init; }

    /// <summary>The store transactions written.</summary>
    public required int Batches { get; init; }

    /// <summary>The sequence of the first record appended, or <c>0</c> when none was.</summary>
    public required long FirstSequence { get; init; }

    /// <summary>The sequence of the last record appended, or <c>0</c> when none was.</summary>
    public required long LastSequence { get; init; }
}
