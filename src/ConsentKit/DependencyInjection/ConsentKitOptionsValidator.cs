using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>Checks <see cref="ConsentKitOptions"/> at start and reports every problem at once.</summary>
internal sealed class ConsentKitOptionsValidator(IServiceProviderIsService? services = null) : IValidateOptions<ConsentKitOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsentKitOptions options)
    {
        var problems = ConsentPurposeRules.FindProblems([.. options.Purposes]);
        if (options.CacheMaxStaleness is { } staleness && staleness < TimeSpan.Zero)
        {
            problems.Add($"{nameof(ConsentKitOptions.CacheMaxStaleness)} must not be negative.");
        }

        if (options.CacheSizeLimit <= 0)
        {
            problems.Add($"{nameof(ConsentKitOptions.CacheSizeLimit)} must be positive.");
        }

        if (options.StoreTimeout != Timeout.InfiniteTimeSpan &&
            (options.StoreTimeout <= TimeSpan.Zero || options.StoreTimeout > ConsentChangeFeedOptionsValidator.LongestTimer))
        {
            // Above ~49.7 days a time-out cannot be armed: every check would fail with StoreUnavailable.
            problems.Add(
                $"{nameof(ConsentKitOptions.StoreTimeout)} must be positive and at most {ConsentChangeFeedOptionsValidator.LongestTimer.TotalDays:0.#} days, " +
                "or Timeout.InfiniteTimeSpan for no limit.");
        }

        if (services is not null && !services.IsService(typeof(IConsentStore)))
        {
            problems.Add("No consent store is configured: call UseSqliteStore(...), UseInMemoryStore() or UseStore<T>() on the ConsentKit builder.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
