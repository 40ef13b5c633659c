using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConsentKit.AspNetCore;

/// <summary>Global Privacy Control: <c>Sec-GPC: 1</c> from the person refuses the purposes that honour it, where they made no choice.</summary>
internal sealed partial class GlobalPrivacyControl(
    IConsentGate gate,
    IConsentRecorder recorder,
    ConsentPurposeCatalog catalog,
    IOptions<ConsentEnforcementOptions> options,
    ILogger<GlobalPrivacyControl> logger)
{
    private string[]? _purposes;

    /// <summary>Whether any <c>Sec-GPC</c> header value is exactly <c>1</c>; any other value is ignored.</summary>
    public static bool IsSignalled(IHeaderDictionary headers)
    {
        foreach (var value in headers["Sec-GPC"])
        {
            if (value == "1")
            {
                return true;
            }

            // Several headers folded into one comma-separated value by a proxy: any "1" counts.
            if (value is not null && value.Contains(',', StringComparison.Ordinal)
                && value.Split(',').Any(part => part.Trim() == "1"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Records a refusal (method PrivacySignal) for each honouring purpose the person has made no choice for.</summary>
    public async Task RecordRefusalsAsync(string subjectId, CancellationToken cancellationToken)
    {
        foreach (var purposeId in Purposes())
        {
            try
            {
                var decision = await gate.CheckAsync(subjectId, purposeId, cancellationToken);

                // Only where nothing is on record: an explicit choice is never overwritten by a signal.
                if (decision.Reason == ConsentDecisionReason.NoRecord && decision.Record is null)
                {
                    await recorder.RefuseAsync(subjectId, purposeId, new ConsentEvidence(ConsentMethod.PrivacySignal, Source: "sec-gpc"), cancellationToken);
                }
            }
            catch (Exception ex) when (ex is ConsentStoreException or ArgumentException)
            {
                // The gate still denies where nothing is on record, so the signal is honoured anyway.
                LogRefusalNotRecorded(logger, purposeId, ex);
            }
        }
    }

    private string[] Purposes() => _purposes ??= [.. catalog.Purposes
        .Select(p => p.Id)
        .Where(id => options.Value.GlobalPrivacyControlPurposes.Any(root => DataUseRules.IsAffectedPurpose(id, root)))];

    [LoggerMessage(101, LogLevel.Error, "A Global Privacy Control refusal of '{PurposeId}' could not be recorded; the gate still denies.", EventName = "GpcRefusalNotRecorded")]
    private static partial void LogRefusalNotRecorded(ILogger logger, string purposeId, Exception exception);
}
