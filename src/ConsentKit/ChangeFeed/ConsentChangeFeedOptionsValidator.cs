using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>Checks <see cref="ConsentChangeFeedOptions"/> at start and reports every problem at once.</summary>
internal sealed class ConsentChangeFeedOptionsValidator : IValidateOptions<ConsentChangeFeedOptions>
{
    // Timers take at most 2^32 - 2 ms; anything longer would throw when armed, long after start-up.
    internal static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    public ValidateOptionsResult Validate(string? name, ConsentChangeFeedOptions options)
    {
        var problems = new List<string>();
        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > LongestTimer)
        {
            problems.Add($"{nameof(ConsentChangeFeedOptions.PollInterval)} must be positive and at most {LongestTimer.TotalDays:0.#} days.");
        }

        if (options.MaxLag <= TimeSpan.Zero || options.MaxLag > LongestTimer)
        {
            problems.Add($"{nameof(ConsentChangeFeedOptions.MaxLag)} must be positive and at most {LongestTimer.TotalDays:0.#} days.");
        }
        else if (options.PollInterval >= options.MaxLag)
        {
            problems.Add(
                $"{nameof(ConsentChangeFeedOptions.PollInterval)} ({options.PollInterval.TotalMilliseconds:0} ms) must be shorter than " +
                $"{nameof(ConsentChangeFeedOptions.MaxLag)} ({options.MaxLag.TotalMilliseconds:0} ms), or the gate would bypass its cache between polls.");
        }

        if (options.PageSize is < 1 or > 100_000)
        {
            problems.Add($"{nameof(ConsentChangeFeedOptions.PageSize)} must be between 1 and 100,000.");
        }

        if (options.MaxCatchUpRecords < options.PageSize)
        {
            problems.Add($"{nameof(ConsentChangeFeedOptions.MaxCatchUpRecords)} must be at least {nameof(ConsentChangeFeedOptions.PageSize)}.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
