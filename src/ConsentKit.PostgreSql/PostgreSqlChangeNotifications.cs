using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary><c>LISTEN/NOTIFY</c>: wakes the change-feed follower as soon as any instance appends.</summary>
public sealed partial class PostgreSqlConsentStore : IConsentChangeNotifications
{
    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>Where the listener logs its reconnects. Set by DI; a null logger otherwise.</summary>
    internal ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Called with the listening connection's backend process id each time it (re)connects; for tests.</summary>
    internal Action<int>? OnListening { get; set; }

    /// <inheritdoc />
    public async Task ListenAsync(Action onChange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await InitializeAsync(cancellationToken);
                await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, _) => onChange();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel};", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                // Anything appended while no one listened would otherwise wait for the next poll.
                onChange();
                OnListening?.Invoke(connection.ProcessID);
                backoff = TimeSpan.FromMilliseconds(50);
                while (true)
                {
                    if (!await connection.WaitAsync(IdleCheck, cancellationToken))
                    {
                        // Quiet for a while: make sure the connection is still alive (a dead one never wakes us).
                        await using var ping = new NpgsqlCommand("SELECT 1;", connection);
                        await ping.ExecuteNonQueryAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or ConsentStoreException or IOException or InvalidOperationException)
            {
                Log.ListenerReconnecting(Logger, Channel, backoff.TotalMilliseconds, ex);
                await Task.Delay(backoff, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }
}
