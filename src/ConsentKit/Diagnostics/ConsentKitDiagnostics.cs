namespace ConsentKit;

/// <summary>
/// The names to subscribe to ConsentKit's telemetry, e.g. <c>metrics.AddMeter(ConsentKitDiagnostics.MeterName)</c>
/// and <c>tracing.AddSource(ConsentKitDiagnostics.ActivitySourceName)</c> in OpenTelemetry.
/// </summary>
/// <remarks>
/// Instruments: <c>consentkit.gate.decisions</c> (tags <c>consentkit.purpose</c>, <c>consentkit.outcome</c>,
/// <c>consentkit.reason</c>), <c>consentkit.records.appended</c>, <c>consentkit.change_feed.gaps</c> and the
/// gauge <c>consentkit.change_feed.lag</c> (seconds), <c>consentkit.openlineage.events</c> (tag <c>consentkit.outcome</c>:
/// <c>delivered</c> or <c>failed</c>). Activities: <c>consentkit.store.*</c> around store calls.
/// </remarks>
public static class ConsentKitDiagnostics
{
    /// <summary>The name of ConsentKit's meter.</summary>
    public const string MeterName = "ConsentKit";

    /// <summary>The name of ConsentKit's activity source.</summary>
    public const string ActivitySourceName = "ConsentKit";
}
