using Microsoft.Extensions.Options;

namespace ConsentKit.OpenLineage;

/// <summary>Checks <see cref="OpenLineageOptions"/> at start, so events do not quietly go nowhere.</summary>
internal sealed class OpenLineageOptionsValidator(bool customTransport) : IValidateOptions<OpenLineageOptions>
{
    public static readonly TimeSpan LongestTimeout = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, OpenLineageOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Namespace) || options.Namespace.Length > 256)
        {
            problems.Add($"{nameof(OpenLineageOptions.Namespace)} must be 1 to 256 characters.");
        }

        if (options.Producer is not { IsAbsoluteUri: true })
        {
            problems.Add($"{nameof(OpenLineageOptions.Producer)} must be an absolute URI.");
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > LongestTimeout)
        {
            problems.Add($"{nameof(OpenLineageOptions.Timeout)} must be positive and at most {LongestTimeout.TotalMinutes:0} minutes.");
        }

        var file = !string.IsNullOrWhiteSpace(options.FilePath);
        var endpoint = options.Endpoint is not null;
        if (customTransport)
        {
            if (file || endpoint)
            {
                problems.Add($"A transport is registered with UseOpenLineageTransport, so {nameof(OpenLineageOptions.FilePath)} and {nameof(OpenLineageOptions.Endpoint)} would be ignored: leave them unset.");
            }
        }
        else if (file == endpoint)
        {
            problems.Add($"Set exactly one of {nameof(OpenLineageOptions.FilePath)} (a JSON Lines file) and {nameof(OpenLineageOptions.Endpoint)} (an http(s) URL) to say where OpenLineage events go.");
        }

        if (file)
        {
            var full = Path.GetFullPath(options.FilePath!);
            if (Directory.Exists(full))
            {
                problems.Add($"{nameof(OpenLineageOptions.FilePath)} '{full}' is a directory; name a file.");
            }
            else if (Path.GetDirectoryName(full) is { } directory && !Directory.Exists(directory))
            {
                problems.Add($"{nameof(OpenLineageOptions.FilePath)}'s directory '{directory}' does not exist.");
            }
        }

        if (endpoint && (!options.Endpoint!.IsAbsoluteUri || (options.Endpoint.Scheme != Uri.UriSchemeHttp && options.Endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            problems.Add($"{nameof(OpenLineageOptions.Endpoint)} '{options.Endpoint}' must be an absolute http or https URL.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
