namespace ConsentKit;

/// <summary>The loop behind ConsentKit's background checks: a round, then the interval, until the host stops.</summary>
internal static class PeriodicRounds
{
    /// <summary>
    /// Runs <paramref name="round"/> now and after every <paramref name="interval"/> (read each time, so a changed
    /// option applies); a round that throws is reported to <paramref name="failed"/> and tried again after the interval.
    /// </summary>
    public static async Task RunAsync(Func<CancellationToken, Task> round, Func<TimeSpan> interval, TimeProvider time, Action<Exception> failed, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await round(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                failed(ex);
            }

            try
            {
                await Task.Delay(interval(), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
