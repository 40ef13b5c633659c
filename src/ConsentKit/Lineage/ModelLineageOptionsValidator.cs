using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>Checks <see cref="ModelLineageOptions"/> at start: a policy for a purpose that is not registered would never apply.</summary>
internal sealed class ModelLineageOptionsValidator(IOptions<ConsentKitOptions> consentKit) : IValidateOptions<ModelLineageOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelLineageOptions options)
    {
        var problems = new List<string>();
        if (options.DefaultPolicy is null)
        {
            problems.Add($"{nameof(ModelLineageOptions.DefaultPolicy)} is required.");
        }

        if (options.CheckInterval <= TimeSpan.Zero || options.CheckInterval > ConsentChangeFeedOptionsValidator.LongestTimer)
        {
            problems.Add($"{nameof(ModelLineageOptions.CheckInterval)} must be positive and at most {ConsentChangeFeedOptionsValidator.LongestTimer.TotalDays:0.#} days.");
        }

        // Read only when there is something to check: ConsentKit's own options report their problems themselves.
        var registered = options.Policies.Count == 0 ? [] : consentKit.Value.Purposes.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (purposeId, policy) in options.Policies)
        {
            if (!registered.Contains(purposeId))
            {
                problems.Add($"{nameof(ModelLineageOptions.Policies)} has a policy for '{purposeId}', which is not a registered purpose: it would never apply.");
            }

            if (policy is null)
            {
                problems.Add($"{nameof(ModelLineageOptions.Policies)}['{purposeId}'] is null.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
