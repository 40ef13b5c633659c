using ConsentKit.Storage;
using Microsoft.Extensions.Options;

namespace ConsentKit.Relay;

/// <summary>Checks <see cref="ConsentRelayOptions"/> and every subscription at start, listing every problem.</summary>
internal sealed class ConsentRelayOptionsValidator(IOptions<ConsentKitOptions> consentKit, IEnumerable<ConsentRelaySubscription> coded) : IValidateOptions<ConsentRelayOptions>
{
    private static readonly TimeSpan Longest = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, ConsentRelayOptions options)
    {
        var problems = new List<string>();
        if (options.Source is not { IsAbsoluteUri: true })
        {
            problems.Add($"{nameof(ConsentRelayOptions.Source)} must be an absolute URI, e.g. urn:consentkit:my-app.");
        }

        if (options.BatchSize is < 1 or > 10_000)
        {
            problems.Add($"{nameof(ConsentRelayOptions.BatchSize)} must be 1 to 10,000.");
        }

        if (options.MaxAttempts is < 1 or > 100)
        {
            problems.Add($"{nameof(ConsentRelayOptions.MaxAttempts)} must be 1 to 100.");
        }

        Span(problems, nameof(ConsentRelayOptions.PollInterval), options.PollInterval, TimeSpan.FromMilliseconds(10));
        Span(problems, nameof(ConsentRelayOptions.LeaseDuration), options.LeaseDuration, TimeSpan.FromSeconds(1));
        Span(problems, nameof(ConsentRelayOptions.FirstRetryDelay), options.FirstRetryDelay, TimeSpan.FromMilliseconds(1));
        Span(problems, nameof(ConsentRelayOptions.MaxRetryDelay), options.MaxRetryDelay, TimeSpan.FromMilliseconds(1));
        Span(problems, nameof(ConsentRelayOptions.AttemptTimeout), options.AttemptTimeout, TimeSpan.FromMilliseconds(10));
        Span(problems, nameof(ConsentRelayOptions.LagThreshold), options.LagThreshold, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        if (options.MaxRetryDelay < options.FirstRetryDelay)
        {
            problems.Add($"{nameof(ConsentRelayOptions.MaxRetryDelay)} must be at least {nameof(ConsentRelayOptions.FirstRetryDelay)}.");
        }

        // A holder renews at a third of its lease; an attempt that outlasts the lease would let another instance take over mid-delivery.
        if (options.AttemptTimeout >= options.LeaseDuration)
        {
            problems.Add($"{nameof(ConsentRelayOptions.AttemptTimeout)} must be shorter than {nameof(ConsentRelayOptions.LeaseDuration)}, or another instance could take over during an attempt.");
        }

        if (string.IsNullOrWhiteSpace(options.InstanceId) || options.InstanceId.Length > RelayStoreRules.LongestHolder)
        {
            problems.Add($"{nameof(ConsentRelayOptions.InstanceId)} must be 1 to {RelayStoreRules.LongestHolder} characters.");
        }

        var registered = consentKit.Value.Purposes.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var subscription in coded)
        {
            Name(problems, names, subscription.Name);
            Purposes(problems, subscription.Name, subscription.Filter.Purposes, registered);
        }

        foreach (var (hook, webhook) in options.Webhooks)
        {
            Name(problems, names, hook);
            Purposes(problems, hook, webhook.Purposes, registered);
            if (webhook.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"Webhook '{hook}': Url must be an absolute http or https URL.");
            }

            if (!WebhookSecret.TryParse(webhook.Secret, out _))
            {
                problems.Add($"Webhook '{hook}': Secret must be 'whsec_' and the base64 of 24 to 64 random bytes.");
            }

            foreach (var status in webhook.Statuses.Where(s => !Enum.IsDefined(s)))
            {
                problems.Add($"Webhook '{hook}': {status} is not a consent status.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Span(List<string> problems, string option, TimeSpan value, TimeSpan least, TimeSpan? most = null)
    {
        if (value < least || value > (most ?? Longest))
        {
            problems.Add($"{option} must be {least.TotalMilliseconds:0.###} ms to {(most ?? Longest).TotalHours:0.##} hours.");
        }
    }

    private static void Name(List<string> problems, HashSet<string> names, string name)
    {
        if (!RelayStoreRules.IsValidName(name))
        {
            problems.Add($"'{name}' is not a subscription name: 1 to {RelayStoreRules.LongestName} of a-z, 0-9, '-', '_', '.', starting with a letter or digit.");
        }
        else if (!names.Add(name))
        {
            problems.Add($"The subscription name '{name}' is used twice.");
        }
    }

    private static void Purposes(List<string> problems, string subscription, IEnumerable<string> purposes, HashSet<string> registered)
    {
        foreach (var purpose in purposes.Where(p => !registered.Contains(p)))
        {
            problems.Add($"Subscription '{subscription}' filters on '{purpose}', which is not a registered purpose: it would receive nothing.");
        }
    }
}
