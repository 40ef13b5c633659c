using Microsoft.Extensions.Options;

namespace ConsentKit.Import;

/// <summary>Checks <see cref="ConsentImportOptions"/> at start, listing every problem.</summary>
internal sealed class ConsentImportOptionsValidator : IValidateOptions<ConsentImportOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsentImportOptions options)
    {
        var problems = new List<string>();
        if (options.BatchSize is < 1 or > 1_000_000)
        {
            problems.Add($"{nameof(ConsentImportOptions.BatchSize)} must be 1 to 1,000,000.");
        }

        if (options.MaxProblems < 1)
        {
            problems.Add($"{nameof(ConsentImportOptions.MaxProblems)} must be at least 1.");
        }

        try
        {
            // The record's own rule for a source, so the two never differ.
            _ = new NewConsentRecord("probe", "probe", ConsentStatus.Refused, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.Import, options.DefaultSource);
        }
        catch (ArgumentException ex)
        {
            problems.Add($"{nameof(ConsentImportOptions.DefaultSource)}: {ex.Message}");
        }

        foreach (var field in options.Columns.Keys.Where(f => !ImportFields.Names.Contains(f)))
        {
            problems.Add($"{nameof(ConsentImportOptions.Columns)} names '{field}', which is not a field of an import row ({string.Join(", ", ImportFields.Names)}).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
