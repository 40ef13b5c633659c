using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ConsentKit;

/// <summary>The <c>ConsentKit</c> meter and activity source, and the tag values they use.</summary>
internal sealed class ConsentKitInstrumentation : IDisposable
{
    public const string Name = ConsentKitDiagnostics.MeterName;

    /// <summary>The activity source wrapped around store calls.</summary>
    public static readonly ActivitySource ActivitySource = new(ConsentKitDiagnostics.ActivitySourceName);

    private static readonly string[] ReasonTags = Enum.GetValues<ConsentDecisionReason>()
        .Select(r => ToSnakeCase(r.ToString()))
        .ToArray();

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _recordsAppended;
    private readonly Counter<long> _changeFeedGaps;
    private readonly Counter<long> _integrityViolations;
    private readonly Counter<long> _openLineageEvents;
    private Func<TimeSpan?>? _changeFeedLag;

    /// <summary>Creates the instruments from the app's meter factory, or a private meter when there is none.</summary>
    /// <param name="meterFactory">The app's meter factory, if registered.</param>
    public ConsentKitInstrumentation(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(Name) ?? new Meter(Name);
        _decisions = _meter.CreateCounter<long>("consentkit.gate.decisions", unit: "{decision}", description: "Consent decisions made by the gate.");
        _recordsAppended = _meter.CreateCounter<long>("consentkit.records.appended", unit: "{record}", description: "Consent records appended.");
        _changeFeedGaps = _meter.CreateCounter<long>(
            "consentkit.change_feed.gaps", unit: "{gap}", description: "Times the change-feed follower fell further behind than its MaxLag, so the gate read the store on every check.");
        _integrityViolations = _meter.CreateCounter<long>(
            "consentkit.store.integrity_violations", unit: "{read}", description: "Store reads that found a record not matching its hash or a subject registry row the proof log did not register; each was denied.");
        _openLineageEvents = _meter.CreateCounter<long>(
            "consentkit.openlineage.events", unit: "{event}", description: "OpenLineage run events handed to the transport, by outcome (delivered or failed).");
        _meter.CreateObservableGauge(
            "consentkit.change_feed.lag",
            () => Volatile.Read(ref _changeFeedLag)?.Invoke() is { } lag ? [new Measurement<double>(lag.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            unit: "s",
            description: "Time since the change-feed follower's last complete catch-up started: how old the newest write from elsewhere it may not have seen can be.");
    }

    /// <summary>Counts one gate decision; costs nothing when no one listens.</summary>
    /// <param name="purposeTag">The purpose id, or <c>unknown</c> for an unregistered one (keeps tag cardinality bounded).</param>
    /// <param name="decision">The decision.</param>
    public void RecordDecision(string purposeTag, in ConsentDecision decision)
    {
        if (!_decisions.Enabled)
        {
            return;
        }

        _decisions.Add(
            1,
            new KeyValuePair<string, object?>("consentkit.purpose", purposeTag),
            new KeyValuePair<string, object?>("consentkit.outcome", decision.IsAllowed ? "allowed" : "denied"),
            new KeyValuePair<string, object?>("consentkit.reason", ReasonTags[(int)decision.Reason]));
    }

    /// <summary>Counts one appended record.</summary>
    /// <param name="record">The record.</param>
    public void RecordAppended(ConsentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_recordsAppended.Enabled)
        {
            return;
        }

        _recordsAppended.Add(
            1,
            new KeyValuePair<string, object?>("consentkit.purpose", record.PurposeId),
            new KeyValuePair<string, object?>("consentkit.status", record.Status == ConsentStatus.Granted ? "granted" : record.Status == ConsentStatus.Refused ? "refused" : "withdrawn"));
    }

    internal void RecordChangeFeedGap() => _changeFeedGaps.Add(1);

    internal void RecordIntegrityViolation() => _integrityViolations.Add(1);

    internal void RecordOpenLineageEvent(bool delivered) =>
        _openLineageEvents.Add(1, new KeyValuePair<string, object?>("consentkit.outcome", delivered ? "delivered" : "failed"));

    internal void ObserveChangeFeedLag(Func<TimeSpan?> lag) => Volatile.Write(ref _changeFeedLag, lag);

    /// <summary>Publishes the obligations monitor's last round as two gauges (nothing before its first round).</summary>
    internal void ObserveModelObligations(ModelObligationsMonitor monitor)
    {
        _meter.CreateObservableGauge(
            "consentkit.lineage.obligations.owed",
            () => monitor.Last is { } last ? [new Measurement<int>(last.Owed)] : Array.Empty<Measurement<int>>(),
            unit: "{obligation}",
            description: "Obligations models owe people who withdrew, not yet resolved (open or acknowledged), at the monitor's last round.");
        _meter.CreateObservableGauge(
            "consentkit.lineage.obligations.overdue",
            () => monitor.Last is { } last ? [new Measurement<int>(last.Overdue)] : Array.Empty<Measurement<int>>(),
            unit: "{obligation}",
            description: "Obligations past their deadline at the monitor's last round.");
    }

    /// <summary>The tag value used for a decision reason, e.g. <c>notice_outdated</c>.</summary>
    /// <param name="reason">The reason.</param>
    public static string ReasonTag(ConsentDecisionReason reason) => ReasonTags[(int)reason];

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static string ToSnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
