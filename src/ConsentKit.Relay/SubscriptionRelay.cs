using ConsentKit.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ConsentKit.Relay;

/// <summary>
/// Relays one subscription: holds its lease, reads the change feed from its position, delivers each change that
/// passes the filter (with retries), and moves the position only after the delivery, so a crash anywhere repeats a
/// change rather than losing it. A change that exhausts its attempts goes to the dead letters, and that person's later
/// changes wait behind it, so each person's changes arrive in order.
/// </summary>
internal sealed class SubscriptionRelay
{
    private readonly string _name;
    private readonly ConsentChangeFilter _filter;
    private readonly IConsentChangeTransport _transport;
    private readonly IConsentStore _store;
    private readonly IConsentRelayStore _relay;
    private readonly IDataUseLedger? _ledger;
    private readonly IModelLineage? _lineage;
    private readonly ConsentRelayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConsentRelayMonitor.Live _live;
    private readonly ConsentRelayMonitor _monitor;
    private readonly ResiliencePipeline _pipeline;
    /// <summary>How often, at most, a busy relay writes its position: the changes delivered since are repeated after a crash.</summary>
    private static readonly TimeSpan PositionWriteInterval = TimeSpan.FromMilliseconds(100);

    private readonly SemaphoreSlim _wake = new(0, 1);
    private HashSet<string>? _blocked;
    private DateTimeOffset _leaseUntil;

    public SubscriptionRelay(
        string name, ConsentChangeFilter filter, IConsentChangeTransport transport, IConsentStore store, IConsentRelayStore relay, IDataUseLedger? ledger,
        IModelLineage? lineage, ConsentRelayOptions options, TimeProvider time, ConsentRelayMonitor monitor, ILogger logger)
    {
        (_name, _filter, _transport, _store, _relay, _ledger, _lineage, _options, _time, _monitor, _logger) =
            (name, filter, transport, store, relay, ledger, lineage, options, time, monitor, logger);
        _live = monitor.For(name);
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.FirstRetryDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && ex is not ConsentDeliveryException { IsPermanent: true } && !args.Context.CancellationToken.IsCancellationRequested),
                OnRetry = OnRetryAsync,
            });
        }

        _pipeline = builder.AddTimeout(options.AttemptTimeout).Build();
    }

    public string Name => _name;

    /// <summary>Closes the transport's connections (a broker's, say) once the loop has stopped.</summary>
    public async ValueTask DisposeTransportAsync()
    {
        switch (_transport)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>Wakes the loop early: records may have been appended.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already awake.
            }
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            bool idle;
            try
            {
                idle = await RoundAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The store failed (or a bug): nothing moved, so the next round starts where this one did.
                _live.LastError = ex.Message;
                RelayLog.RoundFailed(_logger, _name, ex);
                idle = true;
            }

            if (idle)
            {
                await WaitAsync(stopping);
            }
        }

        _live.Active = false;
    }

    /// <summary>One round: the lease, a requested replay, one batch. True when there was nothing to do.</summary>
    private async Task<bool> RoundAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var state = await StateAsync(now, ct);
        if (state is null)
        {
            if (_live.Active)
            {
                RelayLog.LeaseLost(_logger, _name);
            }

            _live.Active = false;
            _blocked = null;
            return true;
        }

        if (!_live.Active)
        {
            RelayLog.LeaseTaken(_logger, _name, state.Position);
        }

        _live.Active = true;
        _blocked ??= await BlockedSubjectsAsync(ct);
        if (state.ReplayRequested && !await ReplayAsync(ct))
        {
            return false;
        }

        var batch = await _store.GetChangesAsync(state.Position, _options.BatchSize, ct);
        _live.Position = state.Position;
        _live.DeadLetters = state.DeadLetters;
        _live.Lag = batch.Count == 0 ? TimeSpan.Zero : Max(TimeSpan.Zero, now - batch[0].RecordedAt);
        _live.LastRoundAt = now;
        if (batch.Count == 0)
        {
            return true;
        }

        // Delivered (or filtered) but not yet written as the position. Writing it after every change would cost a
        // synchronous write per change; a crash before the write only repeats these changes, which receivers drop by id.
        long pending = 0;
        var writtenAt = now;
        try
        {
            foreach (var record in batch)
            {
                if (!await KeepLeaseAsync(ct))
                {
                    return false;
                }

                if (!_filter.Matches(record))
                {
                    pending = record.Sequence;
                    continue;
                }

                if (_blocked.Contains(record.SubjectId))
                {
                    if (!await DeadLetterAsync(record.Sequence, "An earlier change of this person is in the dead letters: this one is delivered after it, on replay.", 0, ct))
                    {
                        return false;
                    }

                    pending = 0;
                    continue;
                }

                var (delivered, error, attempts) = await DeliverAsync(await ChangeAsync(record, ct), ct);
                if (delivered)
                {
                    pending = record.Sequence;
                    _monitor.Count(_name, "delivered");
                    _live.LastError = null;
                    var at = _time.GetUtcNow();
                    if (at - writtenAt >= PositionWriteInterval)
                    {
                        if (!await _relay.AdvanceAsync(_name, _options.InstanceId, pending, at, ct))
                        {
                            pending = 0;
                            return false;
                        }

                        (pending, writtenAt) = (0, at);
                    }
                }
                else
                {
                    // The letter moves the position past it and everything pending before it, in one write.
                    if (!await DeadLetterAsync(record.Sequence, error!, attempts, ct))
                    {
                        return false;
                    }

                    _blocked.Add(record.SubjectId);
                    RelayLog.DeadLettered(_logger, _name, record.Sequence, attempts, error!);
                    pending = 0;
                }
            }
        }
        finally
        {
            if (pending > 0)
            {
                // Written even when the host is stopping (the stop token would cancel it between a delivery and this
                // write, and the next instance would deliver the change again). A lost lease makes the write a no-op and
                // shows in the next round's lease check.
                await _relay.AdvanceAsync(_name, _options.InstanceId, pending, _time.GetUtcNow(), CancellationToken.None);
            }
        }

        return false;
    }

    /// <summary>
    /// The subscription's state with this instance holding the lease, or <see langword="null"/> when another does. A lease
    /// with two thirds left is only read, not renewed: an idle relay writes (and, on SQLite, syncs the disk) once per
    /// third of its lease, not once per poll.
    /// </summary>
    private async Task<RelaySubscriptionState?> StateAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (_live.Active && now < _leaseUntil - (_options.LeaseDuration * 2 / 3)
            && (await _relay.GetSubscriptionsAsync(ct)).FirstOrDefault(s => s.Name == _name) is { } held
            && held.LeaseHolder == _options.InstanceId && held.LeaseExpiresAt > now)
        {
            return held;
        }

        var state = await _relay.TryLeaseAsync(_name, _options.InstanceId, now, now + _options.LeaseDuration, ct);
        if (state is not null)
        {
            _leaseUntil = now + _options.LeaseDuration;
        }

        return state;
    }

    /// <summary>Delivers the dead letters again, oldest first; a person whose letter fails again keeps the rest waiting.</summary>
    private async Task<bool> ReplayAsync(CancellationToken ct)
    {
        var letters = await _relay.GetDeadLettersAsync(_name, ct);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var letter in letters)
        {
            if (!await KeepLeaseAsync(ct))
            {
                return false;
            }

            var record = await RecordAsync(letter.Sequence, ct);
            if (record is null || failed.Contains(record.SubjectId))
            {
                continue;
            }

            var (delivered, error, _) = await DeliverAsync(await ChangeAsync(record, ct), ct);
            if (!delivered)
            {
                failed.Add(record.SubjectId);
                await _relay.RecordErrorAsync(_name, _options.InstanceId, $"Replay of {letter.Sequence}: {error}", _time.GetUtcNow(), ct);
                continue;
            }

            if (!await _relay.RemoveDeadLetterAsync(_name, letter.Sequence, _options.InstanceId, _time.GetUtcNow(), ct))
            {
                return false;
            }

            _monitor.Count(_name, "delivered");
            RelayLog.Replayed(_logger, _name, letter.Sequence);
        }

        if (failed.Count > 0)
        {
            // Nothing more to do until someone asks again: the request stays only while letters remain undelivered.
            await _relay.RequestReplayAsync(_name, ct);
        }

        _blocked = await BlockedSubjectsAsync(ct);
        return true;
    }

    private async Task<(bool Delivered, string? Error, int Attempts)> DeliverAsync(ConsentChange change, CancellationToken ct)
    {
        var attempts = 0;

        // A stop cancels the waits between attempts at once, but lets an attempt already sent finish (within the
        // attempt time-out): cut off mid-request, a change the receiver took would count as undelivered and the
        // instance that takes over would send it again.
        using var stopping = new CancellationTokenSource();
        var sending = 0;
        using var onStop = ct.Register(() =>
        {
            if (Volatile.Read(ref sending) == 0)
            {
                stopping.Cancel();
            }
        });
        try
        {
            await _pipeline.ExecuteAsync(
                async token =>
                {
                    Volatile.Write(ref sending, 1);
                    try
                    {
                        ct.ThrowIfCancellationRequested();
                        attempts++;
                        await _transport.DeliverAsync(change, token);
                    }
                    finally
                    {
                        Volatile.Write(ref sending, 0);
                        if (ct.IsCancellationRequested)
                        {
                            stopping.Cancel();
                        }
                    }
                },
                stopping.Token);
            return (true, null, attempts);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            _live.LastError = Describe(ex);
            return (false, Describe(ex), attempts);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An attempt that failed while the host stopped: not delivered, and the stop is what ends the round.
            throw new OperationCanceledException("The host stopped while a delivery was failing.", ex, ct);
        }
    }

    private async ValueTask OnRetryAsync(OnRetryArguments<object> args)
    {
        var error = args.Outcome.Exception is { } ex ? Describe(ex) : "failed";
        _live.LastError = error;
        _monitor.Count(_name, "retried");
        RelayLog.Retrying(_logger, _name, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, error);

        // Renew before waiting, so a long back-off does not hand the subscription to another instance.
        await KeepLeaseAsync(args.Context.CancellationToken, force: true);
        await _relay.RecordErrorAsync(_name, _options.InstanceId, error, _time.GetUtcNow(), args.Context.CancellationToken);
    }

    private async ValueTask<bool> DeadLetterAsync(long sequence, string error, int attempts, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var added = await _relay.AddDeadLetterAsync(
            new RelayDeadLetter { Subscription = _name, Sequence = sequence, Error = error, Attempts = attempts, DeadLetteredAt = now }, _options.InstanceId, now, ct);
        if (added)
        {
            _monitor.Count(_name, "dead_lettered");
            _live.DeadLetters++;
        }

        return added;
    }

    /// <summary>Renews the lease once a third of it is used (or now); false when another instance holds it.</summary>
    private async ValueTask<bool> KeepLeaseAsync(CancellationToken ct, bool force = false)
    {
        var now = _time.GetUtcNow();
        if (!force && now < _leaseUntil - (_options.LeaseDuration * 2 / 3))
        {
            return true;
        }

        if (await _relay.TryLeaseAsync(_name, _options.InstanceId, now, now + _options.LeaseDuration, ct) is null)
        {
            _live.Active = false;
            _blocked = null;
            RelayLog.LeaseLost(_logger, _name);
            return false;
        }

        _leaseUntil = now + _options.LeaseDuration;
        return true;
    }

    private async Task<ConsentChange> ChangeAsync(ConsentRecord record, CancellationToken ct)
    {
        if (record.Status == ConsentStatus.Granted)
        {
            return new ConsentChange { Record = record };
        }

        return new ConsentChange
        {
            Record = record,
            AffectedDataUses = _ledger is null ? [] : await _ledger.FindAffectedByAsync(record, ct),
            AffectedArtifacts = _lineage is null ? [] : await _lineage.FindAffectedArtifactsAsync(record, ct),
        };
    }

    private async Task<ConsentRecord?> RecordAsync(long sequence, CancellationToken ct) =>
        await _store.GetChangesAsync(sequence - 1, 1, ct) is [var record, ..] && record.Sequence == sequence ? record : null;

    private async Task<HashSet<string>> BlockedSubjectsAsync(CancellationToken ct)
    {
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var letter in await _relay.GetDeadLettersAsync(_name, ct))
        {
            if (await RecordAsync(letter.Sequence, ct) is { } record)
            {
                blocked.Add(record.SubjectId);
            }
        }

        return blocked;
    }

    private async Task WaitAsync(CancellationToken stopping)
    {
        // A standby instance tries for the lease at a third of its length, so it takes over soon after a holder dies.
        var wait = _live.Active ? _options.PollInterval : Min(_options.PollInterval, _options.LeaseDuration / 3);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(wait);
        try
        {
            await _wake.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            // The wait is over.
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        TimeoutRejectedException => $"The delivery did not finish within the attempt time-out ({ex.Message})",
        ConsentDeliveryException => ex.Message,
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
