using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>
/// Follows the store's change feed from the sequence it started at and invalidates the gate's cache for
/// every subject it sees a record of: the one way an instance learns of writes made by other instances
/// and processes. Notifications from the store (<see cref="IConsentChangeNotifications"/>) only wake it
/// early; it always reads by sequence, so a lost notification costs latency, never correctness.
/// </summary>
internal sealed class ConsentChangeFeedFollower : BackgroundService
{
    private readonly IConsentStore _store;
    private readonly IConsentCacheInvalidator _cache;
    private readonly ConsentChangeFeedState _state;
    private readonly ConsentChangeFeedOptions _options;
    private readonly TimeSpan _storeTimeout;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ChangeSignal _signal = new();
    private long _watermark = NoWatermark;
    private readonly ConsentIntegrityMonitor? _integrity;
    private long _lastLinkSequence;
    private ReadOnlyMemory<byte> _lastLinkHash;

    public ConsentChangeFeedFollower(
        IConsentStore store,
        IConsentCacheInvalidator cache,
        ConsentChangeFeedState state,
        IOptions<ConsentChangeFeedOptions> options,
        IOptions<ConsentKitOptions> kitOptions,
        TimeProvider? timeProvider = null,
        ILogger<ConsentChangeFeedFollower>? logger = null,
        ConsentIntegrityMonitor? integrity = null)
    {
        _integrity = integrity;
        _store = store;
        _cache = cache;
        _state = state;
        _options = options.Value;
        _storeTimeout = kitOptions.Value.StoreTimeout;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ConsentChangeFeedFollower>.Instance;
    }

    private const long NoWatermark = -1;

    /// <summary>The last sequence the follower has handled; <see langword="null"/> before its first read.</summary>
    public long? Watermark => Volatile.Read(ref _watermark) is var w and not NoWatermark ? w : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        _state.Start(_options.MaxLag);
        Task? listening = null;
        if (_options.UseNotifications && _store is IConsentChangeNotifications notifications)
        {
            listening = ListenAsync(notifications, stoppingToken);
        }

        try
        {
            var failing = false;
            while (!stoppingToken.IsCancellationRequested)
            {
                // Reset before reading: a notification that arrives during the read wakes the next wait.
                _signal.Reset();
                try
                {
                    await CatchUpAsync(stoppingToken);
                    failing = false;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Log the first failure of a run of them; the watchdog reports the gap itself.
                    if (!failing)
                    {
                        Log.ChangeFeedReadFailed(_logger, ex);
                    }

                    failing = true;
                }

                await _signal.WaitAsync(_options.PollInterval, _timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _state.Stop();
            if (listening is not null)
            {
                await listening;
            }
        }
    }

    /// <summary>Reads the feed from the watermark to its end, invalidating every subject seen.</summary>
    internal async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var startedAt = _timeProvider.GetTimestamp();
        var watermark = Volatile.Read(ref _watermark);
        if (watermark == NoWatermark)
        {
            // The first read: nothing before it can be in a cache filled from the store after it.
            var head = await WithTimeout(ct => _store.GetLastSequenceAsync(ct), cancellationToken);
            _cache.InvalidateAll();
            Volatile.Write(ref _watermark, head);
            _state.CaughtUp(startedAt);
            return;
        }

        var read = 0L;
        while (true)
        {
            if (read >= _options.MaxCatchUpRecords)
            {
                // Too far behind to page through: forget everything and start again from the head.
                var head = await WithTimeout(ct => _store.GetLastSequenceAsync(ct), cancellationToken);
                _cache.InvalidateAll();
                Log.ChangeFeedSkipped(_logger, head - watermark);
                Volatile.Write(ref _watermark, head);
                _lastLinkHash = ReadOnlyMemory<byte>.Empty;
                break;
            }

            var from = watermark;
            var page = await WithTimeout(ct => _store.GetChangesAsync(from, _options.PageSize, ct), cancellationToken);
            foreach (var record in page)
            {
                CheckLink(record);
                if (record.IsSubjectErased)
                {
                    // The id is gone from the store, so the entry cannot be found by it: erasures are rare.
                    _cache.InvalidateAll();
                }
                else
                {
                    _cache.Invalidate(record.SubjectId);
                }

                watermark = record.Sequence;
            }

            Volatile.Write(ref _watermark, watermark);
            read += page.Count;
            if (page.Count < _options.PageSize)
            {
                break;
            }
        }

        _state.CaughtUp(startedAt);
    }

    /// <summary>
    /// Each new record must name the last one this follower saw as the one before it, with its hash: a record
    /// deleted, inserted or rewritten (hashes recomputed) between two reads breaks the link, and is reported
    /// as an integrity violation (logged once, counted, health check Unhealthy).
    /// </summary>
    private void CheckLink(ConsentRecord record)
    {
        if (!_lastLinkHash.IsEmpty && !record.PreviousHash.IsEmpty
            && (record.PreviousSequence != _lastLinkSequence || !record.PreviousHash.Span.SequenceEqual(_lastLinkHash.Span)))
        {
            var broken = new ConsentStoreIntegrityException(
                $"Record {record.Sequence} names record {record.PreviousSequence} as the one before it, but the change feed's last record was {_lastLinkSequence}" +
                (record.PreviousSequence == _lastLinkSequence ? " with another hash" : string.Empty) + ": the history was changed between two reads.",
                record.Sequence);
            Log.StoreFailed(_logger, "(change feed)", broken, _integrity);
        }

        _lastLinkSequence = record.Sequence;
        _lastLinkHash = record.Hash;
    }

    private Task<T> WithTimeout<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken) =>
        StoreTimeout.CallAsync(call, _storeTimeout, _timeProvider, cancellationToken);

    private async Task ListenAsync(IConsentChangeNotifications notifications, CancellationToken stoppingToken)
    {
        try
        {
            await notifications.ListenAsync(_signal.Set, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Polling carries on; only the early wake-up is lost.
            Log.ChangeNotificationsFailed(_logger, ex);
        }
    }

    /// <summary>An auto-reset wake-up: <see cref="Set"/> completes the current wait (or the next one, if none is waiting).</summary>
    private sealed class ChangeSignal
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Set() => Volatile.Read(ref _next).TrySetResult();

        public void Reset()
        {
            var current = Volatile.Read(ref _next);
            if (current.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
            }
        }

        public async Task WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
        {
            try
            {
                await Volatile.Read(ref _next).Task.WaitAsync(timeout, timeProvider, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
    }
}
