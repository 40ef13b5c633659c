namespace ConsentKit.Import;

/// <summary>Why one row of an import file was refused.</summary>
/// <param name="Line">The line of the file the row starts on (1 is the first line; in CSV, the header).</param>
/// <param name="Field">The field (<c>subject_id</c>, <c>status</c>, …) or column the problem is in.</param>
/// <param name="Message">What is wrong, as a sentence.</param>
public sealed record ConsentImportProblem(long Line, string Field, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"line {Line}, {Field}: {Message}";
}
