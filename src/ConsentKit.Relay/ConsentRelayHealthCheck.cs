using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ConsentKit.Relay;

/// <summary>
/// Degraded while a subscription this instance relays is further behind than <see cref="ConsentRelayOptions.LagThreshold"/>
/// or holds dead letters: register with <c>services.AddHealthChecks().AddCheck&lt;ConsentRelayHealthCheck&gt;("consent-relay")</c>.
/// Subscriptions another instance relays are reported by that instance.
/// </summary>
public sealed class ConsentRelayHealthCheck : IHealthCheck
{
    private readonly ConsentRelayMonitor _monitor;
    private readonly ConsentRelayOptions _options;

    /// <summary>Creates the check over the relay <c>AddConsentRelay</c> registered.</summary>
    /// <param name="services">The app's services.</param>
    public ConsentRelayHealthCheck(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _monitor = services.GetRequiredService<ConsentRelayMonitor>();
        _options = services.GetRequiredService<IOptions<ConsentRelayOptions>>().Value;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var live in _monitor.Subscriptions.Where(l => l.Active).OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            data[live.Name + ".lag_seconds"] = live.Lag.TotalSeconds;
            data[live.Name + ".dead_letters"] = live.DeadLetters;
            if (live.Lag > _options.LagThreshold)
            {
                problems.Add($"'{live.Name}' is {live.Lag.TotalSeconds:0} s behind (threshold {_options.LagThreshold.TotalSeconds:0} s){(live.LastError is null ? "" : ": " + live.LastError)}");
            }

            if (live.DeadLetters > 0)
            {
                problems.Add($"'{live.Name}' holds {live.DeadLetters} dead letter(s): fix the receiver, then consentkit relay replay {live.Name}");
            }
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy("Every relayed subscription is current.", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems) + ".", data: data));
    }
}
