using Microsoft.Extensions.Logging;

namespace ConsentKit.Relay;

/// <summary>The relay's log messages, with stable event ids (100–119).</summary>
internal static partial class RelayLog
{
    [LoggerMessage(100, LogLevel.Information, "Relaying subscription '{Subscription}' from position {Position} (this instance took its lease).", EventName = "RelayLeaseTaken")]
    public static partial void LeaseTaken(ILogger logger, string subscription, long position);

    [LoggerMessage(101, LogLevel.Warning, "Subscription '{Subscription}' is relayed by another instance now (the lease was lost); this one stands by.", EventName = "RelayLeaseLost")]
    public static partial void LeaseLost(ILogger logger, string subscription);

    [LoggerMessage(102, LogLevel.Warning, "Subscription '{Subscription}': attempt {Attempt} follows in {DelayMs:0} ms after: {Error}", EventName = "RelayRetrying")]
    public static partial void Retrying(ILogger logger, string subscription, int attempt, double delayMs, string error);

    [LoggerMessage(103, LogLevel.Error, "Subscription '{Subscription}': change {Sequence} went to the dead letters after {Attempts} attempt(s): {Error}. Replay it once the receiver works: consentkit relay replay.", EventName = "RelayDeadLettered")]
    public static partial void DeadLettered(ILogger logger, string subscription, long sequence, int attempts, string error);

    [LoggerMessage(104, LogLevel.Information, "Subscription '{Subscription}': dead letter {Sequence} delivered on replay.", EventName = "RelayReplayed")]
    public static partial void Replayed(ILogger logger, string subscription, long sequence);

    [LoggerMessage(105, LogLevel.Error, "Subscription '{Subscription}': a relay round failed (nothing moved; it is tried again).", EventName = "RelayRoundFailed")]
    public static partial void RoundFailed(ILogger logger, string subscription, Exception exception);
}
