namespace ConsentKit.Import;

/// <summary>
/// An import file had rows that cannot be imported. Every row is checked before the first is written, so when
/// this is thrown nothing was written.
/// </summary>
public sealed class ConsentImportException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problems">The problems found, in line order (at most <see cref="ConsentImportOptions.MaxProblems"/>).</param>
    /// <param name="rowsWithProblems">How many rows had a problem, reported or not.</param>
    /// <param name="paramName">The argument that named the file.</param>
    public ConsentImportException(IReadOnlyList<ConsentImportProblem> problems, long rowsWithProblems, string? paramName)
        : base(Describe(problems, rowsWithProblems), paramName)
    {
        Problems = problems;
        RowsWithProblems = rowsWithProblems;
    }

    /// <summary>The problems found, in line order.</summary>
    public IReadOnlyList<ConsentImportProblem> Problems { get; }

    /// <summary>How many rows had a problem (more than <see cref="Problems"/> holds when there were many).</summary>
    public long RowsWithProblems { get; }

    private static string Describe(IReadOnlyList<ConsentImportProblem> problems, long rows)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var first = problems.Count > 0 ? $" First: {problems[0]}." : string.Empty;
        return $"The import file has {rows} row(s) that cannot be imported; nothing was written.{first}";
    }
}
