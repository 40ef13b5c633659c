using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ConsentKit.Relay;

/// <summary>What this instance knows of each subscription it relays, for the metrics, the health check and status.</summary>
internal sealed class ConsentRelayMonitor : IDisposable
{
    private readonly ConcurrentDictionary<string, Live> _live = new(StringComparer.Ordinal);
    private readonly Meter? _ownMeter;
    private readonly Counter<long> _deliveries;

    public ConsentRelayMonitor(IMeterFactory? meters)
    {
        var meter = meters?.Create(ConsentKitDiagnostics.MeterName) ?? (_ownMeter = new Meter(ConsentKitDiagnostics.MeterName));
        _deliveries = meter.CreateCounter<long>("consentkit.relay.deliveries", unit: "{change}", description: "Changes handed to a subscription's transport, by outcome (delivered, retried, dead_lettered).");
        meter.CreateObservableGauge(
            "consentkit.relay.lag",
            () => _live.Values.Where(l => l.Active).Select(l => new Measurement<double>(l.Lag.TotalSeconds, new KeyValuePair<string, object?>("consentkit.subscription", l.Name))),
            unit: "s",
            description: "How long the oldest change a subscription has not delivered has waited (0 when it is current), on the instance holding its lease.");
        meter.CreateObservableGauge(
            "consentkit.relay.dead_letters",
            () => _live.Values.Where(l => l.Active).Select(l => new Measurement<int>(l.DeadLetters, new KeyValuePair<string, object?>("consentkit.subscription", l.Name))),
            unit: "{change}",
            description: "Changes a subscription could not deliver, waiting for a replay.");
    }

    public IReadOnlyCollection<Live> Subscriptions => [.. _live.Values];

    public Live For(string name) => _live.GetOrAdd(name, n => new Live(n));

    public void Count(string subscription, string outcome) =>
        _deliveries.Add(1, new KeyValuePair<string, object?>("consentkit.subscription", subscription), new KeyValuePair<string, object?>("consentkit.outcome", outcome));

    public void Dispose() => _ownMeter?.Dispose();

    /// <summary>One subscription as this instance last saw it.</summary>
    internal sealed class Live(string name)
    {
        public string Name => name;

        public volatile bool Active;

        public TimeSpan Lag { get; set; }

        public int DeadLetters { get; set; }

        public long Position { get; set; }

        public string? LastError { get; set; }

        public DateTimeOffset? LastRoundAt { get; set; }
    }
}
