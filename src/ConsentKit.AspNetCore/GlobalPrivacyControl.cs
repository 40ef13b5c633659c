using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConsentKit.AspNetCore;

/// <summary>Global Privacy Control: <c>Sec-GPC: 1</c> from the person refuses the purposes that honour it, where they made no choice.</summary>
internal sealed partial class GlobalPrivacyControl(
    IConsentGate gate,
    IConsentRecorder recorder,
    IConsentStore store,
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

    /// <summary>
    /// Records a refusal (method PrivacySignal) for each honouring purpose on which the person has no record,
    /// unless refusing it would block a grant the person gave to one of its children: an explicit choice
    /// is never overridden by a signal.
    /// </summary>
    public async Task RecordRefusalsAsync(string subjectId, CancellationToken cancellationToken)
    {
        try
        {
            // The cached gate answers the common case (everything already on record) without a store read.
            var open = false;
            foreach (var purposeId in Purposes())
            {
                open |= (await gate.CheckAsync(subjectId, purposeId, cancellationToken)).Reason == ConsentDecisionReason.NoRecord;
            }

            if (!open)
            {
                return;
            }

            var current = (await store.GetCurrentAsync(subjectId, cancellationToken)).ToList();
            foreach (var purposeId in Purposes())
            {
                var onRecord = current.Any(r => r.PurposeId == purposeId);
                var wouldBlockAGrant = current.Any(r => r.Status == ConsentStatus.Granted && ConsentPurposeId.IsSelfOrDescendant(r.PurposeId, purposeId));
                if (onRecord || wouldBlockAGrant)
                {
                    continue;
                }

                current.Add(await recorder.RefuseAsync(subjectId, purposeId, new ConsentEvidence(ConsentMethod.PrivacySignal, Source: "sec-gpc"), cancellationToken));
            }
        }
        catch (Exception ex) when (ex is ConsentStoreException or ArgumentException)
        {
            // The gate still denies where nothing is on record, so the signal is honoured anyway.
            LogRefusalNotRecorded(logger, subjectId.Length, ex);
        }
    }

    private string[] Purposes() => _purposes ??= [.. catalog.Purposes
        .Select(p => p.Id)
        .Where(id => options.Value.GlobalPrivacyControlPurposes.Any(root => ConsentPurposeId.IsSelfOrDescendant(id, root)))];

    [LoggerMessage(101, LogLevel.Error, "A Global Privacy Control refusal could not be recorded (subject id of {SubjectIdLength} characters); the gate still denies.", EventName = "GpcRefusalNotRecorded")]
    private static partial void LogRefusalNotRecorded(ILogger logger, int subjectIdLength, Exception exception);
}
