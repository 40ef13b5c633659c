using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConsentKit.AspNetCore;

/// <summary>Global Privacy Control: <c>Sec-GPC: 1</c> from the person refuses the purposes that honour it, where they made no choice.</summary>
internal sealed partial class GlobalPrivacyControl(
    IConsentRecorder recorder,
    IOptions<ConsentKitHttpOptions> options,
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
    /// Hands the signal to the recorder, which refuses the honouring purposes where the person made no
    /// choice (decided from the gate's cache; "no choice yet" enforced by the store).
    /// </summary>
    public async Task RecordRefusalsAsync(string subjectId, CancellationToken cancellationToken)
    {
        try
        {
            await recorder.RecordPrivacySignalAsync(subjectId, _purposes ??= [.. options.Value.GlobalPrivacyControlPurposes], "sec-gpc", cancellationToken);
        }
        catch (Exception ex) when (ex is ConsentStoreException or ArgumentException)
        {
            // The gate still denies where nothing is on record, so the signal is honoured anyway.
            LogRefusalNotRecorded(logger, subjectId.Length, ex);
        }
    }

    [LoggerMessage(101, LogLevel.Error, "A Global Privacy Control refusal could not be recorded (subject id of {SubjectIdLength} characters); the gate still denies.", EventName = "GpcRefusalNotRecorded")]
    private static partial void LogRefusalNotRecorded(ILogger logger, int subjectIdLength, Exception exception);
}
