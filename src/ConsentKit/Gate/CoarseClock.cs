namespace ConsentKit;

/// <summary>
/// "Now" to within <see cref="Resolution"/>, refreshed by a timer, so the gate's hot path reads one
/// field instead of the system clock (as Kestrel's heartbeat does for its Date header).
/// </summary>
/// <remarks>
/// The value may lag the true time by up to <see cref="Resolution"/>. Callers that must not act late
/// (an expiry) stop trusting what they cached one <see cref="Resolution"/> before the deadline, which
/// errs on the early side, and decide at the exact time on the slow path.
/// </remarks>
internal sealed class CoarseClock : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private readonly ITimer _timer;
    private long _utcTicks;

    public CoarseClock(TimeProvider timeProvider, TimeSpan resolution)
    {
        _timeProvider = timeProvider;
        Resolution = resolution;
        ResolutionTicks = resolution.Ticks;
        _utcTicks = timeProvider.GetUtcNow().UtcTicks;

        // One-shot timer re-armed from the callback: a fake clock advanced by a year fires it once, not
        // once per period.
        _timer = timeProvider.CreateTimer(static state => ((CoarseClock)state!).Tick(), this, resolution, Timeout.InfiniteTimeSpan);
    }

    public TimeSpan Resolution { get; }

    public long ResolutionTicks { get; }

    public long UtcTicks => Volatile.Read(ref _utcTicks);

    public DateTimeOffset ExactUtcNow() => _timeProvider.GetUtcNow();

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        Volatile.Write(ref _utcTicks, _timeProvider.GetUtcNow().UtcTicks);
        try
        {
            _timer.Change(Resolution, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the tick and the re-arm: nothing left to do.
        }
    }
}
