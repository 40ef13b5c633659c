using Microsoft.Extensions.Options;

namespace ConsentKit.AspNetCore;

/// <summary>Checks <see cref="ConsentKitHttpOptions"/> at start and lists every problem.</summary>
internal sealed class ConsentKitHttpOptionsValidator : IValidateOptions<ConsentKitHttpOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsentKitHttpOptions options)
    {
        var problems = new List<string>();
        if (options.SubjectClaimTypes.Count == 0 || options.SubjectClaimTypes.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"{nameof(ConsentKitHttpOptions.SubjectClaimTypes)} must name at least one claim type, and no blank ones.");
        }

        if (options.ConsentUrl is { } url && !(url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal)
            || Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "https" or "http"))
        {
            problems.Add($"{nameof(ConsentKitHttpOptions.ConsentUrl)} '{url}' must be a path on this site (starting with '/') or an http(s) URL.");
        }

        foreach (var purpose in options.GlobalPrivacyControlPurposes.Where(p => !ConsentPurposeId.IsValid(p)))
        {
            problems.Add($"{nameof(ConsentKitHttpOptions.GlobalPrivacyControlPurposes)} holds '{purpose}', which is not a valid purpose id.");
        }

        if (options.MaxRequestBodyBytes is < 256 or > 1024 * 1024)
        {
            problems.Add($"{nameof(ConsentKitHttpOptions.MaxRequestBodyBytes)} must be between 256 bytes and 1 MiB.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
