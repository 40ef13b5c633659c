using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConsentKit;

/// <summary>Where the change-feed follower stands, as far as the gate is concerned.</summary>
internal enum ConsentChangeFeedStatus
{
    /// <summary>No follower runs (none registered, or the host has not started it): the gate trusts its cache within <c>CacheMaxStaleness</c>.</summary>
    NotRunning,

    /// <summary>The last complete catch-up is younger than <see cref="ConsentChangeFeedOptions.MaxLag"/>: the cache may be used.</summary>
    Current,

    /// <summary>The follower has not caught up within <see cref="ConsentChangeFeedOptions.MaxLag"/>: the gate reads the store on every check.</summary>
    Behind,
}

/// <summary>
/// Shared by the follower (which reports catch-ups) and the gate (which reads <see cref="CacheUsable"/>
/// on every check). A one-shot timer, re-armed by each catch-up, turns the state to
/// <see cref="ConsentChangeFeedStatus.Behind"/> when the next catch-up is late — even if the follower
/// itself is stuck in a store call.
/// </summary>
internal sealed class ConsentChangeFeedState : IDisposable
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly ConsentKitInstrumentation _instrumentation;
    private readonly ILogger _logger;
    private ITimer? _watchdog;
    private TimeSpan _maxLag;
    private volatile int _status = (int)ConsentChangeFeedStatus.NotRunning;
    private long _lastCatchUpStarted;
    private long _behindSince;

    public ConsentChangeFeedState(TimeProvider? timeProvider = null, ConsentKitInstrumentation? instrumentation = null, ILogger<ConsentChangeFeedState>? logger = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        _instrumentation = instrumentation ?? new ConsentKitInstrumentation();
        _logger = logger ?? NullLogger<ConsentChangeFeedState>.Instance;
        _instrumentation.ObserveChangeFeedLag(() => Lag);
    }

    public ConsentChangeFeedStatus Status => (ConsentChangeFeedStatus)_status;

    /// <summary>Whether the gate may answer from its cache: not while the follower is behind.</summary>
    public bool CacheUsable => _status != (int)ConsentChangeFeedStatus.Behind;

    /// <summary>Whether a follower is running and current: the cache may then keep entries for longer.</summary>
    public bool IsCurrent => _status == (int)ConsentChangeFeedStatus.Current;

    /// <summary>How far the follower may be behind: the time since its last complete catch-up started; <see langword="null"/> when none runs.</summary>
    public TimeSpan? Lag
    {
        get
        {
            lock (_lock)
            {
                return _status == (int)ConsentChangeFeedStatus.NotRunning ? null : _timeProvider.GetElapsedTime(_lastCatchUpStarted);
            }
        }
    }

    /// <summary>The follower starts: until its first catch-up, the gate reads the store.</summary>
    public void Start(TimeSpan maxLag)
    {
        lock (_lock)
        {
            _maxLag = maxLag;
            _watchdog ??= _timeProvider.CreateTimer(static s => ((ConsentChangeFeedState)s!).OnWatchdog(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _lastCatchUpStarted = _timeProvider.GetTimestamp();
            _behindSince = _lastCatchUpStarted;
            _status = (int)ConsentChangeFeedStatus.Behind;
        }
    }

    /// <summary>The follower read the feed up to its end; the read started at <paramref name="startedAt"/> (a <see cref="TimeProvider"/> timestamp).</summary>
    public void CaughtUp(long startedAt)
    {
        lock (_lock)
        {
            if (_status == (int)ConsentChangeFeedStatus.NotRunning)
            {
                return;
            }

            _lastCatchUpStarted = Math.Max(_lastCatchUpStarted, startedAt);
            var due = _maxLag - _timeProvider.GetElapsedTime(_lastCatchUpStarted);
            if (due <= TimeSpan.Zero)
            {
                // The read itself took longer than the bound: what it saw may already be too old.
                return;
            }

            _watchdog!.Change(due, Timeout.InfiniteTimeSpan);
            if (_status == (int)ConsentChangeFeedStatus.Behind)
            {
                Log.ChangeFeedCurrent(_logger, _timeProvider.GetElapsedTime(_behindSince).TotalMilliseconds);
            }

            _status = (int)ConsentChangeFeedStatus.Current;
        }
    }

    /// <summary>The follower stopped: the gate goes back to trusting its cache within <c>CacheMaxStaleness</c>.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _watchdog?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _status = (int)ConsentChangeFeedStatus.NotRunning;
        }
    }

    public void Dispose() => _watchdog?.Dispose();

    private void OnWatchdog()
    {
        lock (_lock)
        {
            var lag = _timeProvider.GetElapsedTime(_lastCatchUpStarted);
            if (_status != (int)ConsentChangeFeedStatus.Current)
            {
                return;
            }

            if (lag < _maxLag)
            {
                // Fired a little early: look again when the bound is really reached.
                _watchdog!.Change(_maxLag - lag, Timeout.InfiniteTimeSpan);
                return;
            }

            _status = (int)ConsentChangeFeedStatus.Behind;
            _behindSince = _timeProvider.GetTimestamp();
            _instrumentation.RecordChangeFeedGap();
            Log.ChangeFeedBehind(_logger, lag.TotalMilliseconds);
        }
    }
}
