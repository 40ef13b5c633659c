using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConsentKit.Storage;

/// <summary>What both SQL stores' health checks add to their schema check: the integrity this process has seen.</summary>
internal static class IntegrityHealth
{
    /// <summary>
    /// The failure to report when a read found a violation or the last verification failed; otherwise
    /// <see langword="null"/>, after adding the last verified sequence and its age to <paramref name="data"/>.
    /// </summary>
    public static string? Problem(ConsentIntegrityMonitor? monitor, Dictionary<string, object> data, DateTimeOffset now)
    {
        if (monitor is null)
        {
            return null;
        }

        if (monitor.LastVerification is { } verified)
        {
            data["lastVerifiedSequence"] = verified.Result.IsValid ? verified.Result.Head.Sequence : verified.Result.FirstBadSequence ?? 0;
            data["lastVerifiedAgeSeconds"] = Math.Round((now - verified.At).TotalSeconds);
            if (!verified.Result.IsValid)
            {
                return $"The last verification of the consent history failed: {verified.Result}";
            }
        }

        if (monitor.LastViolation is { } violation)
        {
            data["integrityViolationSequence"] = violation.Sequence ?? 0;
            return $"A read of the consent store found it changed outside ConsentKit at {violation.At:O}: {violation.Message} Every such read is denied; run consentkit verify.";
        }

        return null;
    }
}
