using Microsoft.Extensions.Logging;

namespace ConsentKit.PostgreSql;

/// <summary>Every log message of the PostgreSQL store, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(101, LogLevel.Warning, "Listening on '{Channel}' for consent changes failed; reconnecting in {DelayMs:0} ms (the change feed is still polled meanwhile).", EventName = "ListenerReconnecting")]
    public static partial void ListenerReconnecting(ILogger logger, string channel, double delayMs, Exception exception);
}
