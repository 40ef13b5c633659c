using System.Collections.Concurrent;

namespace ConsentKit;

/// <summary>
/// The gate's store reads for subjects its cache does not hold. Concurrent misses for one subject share one read;
/// misses that arrive while <see cref="MaxReadsInFlight"/> reads are out wait and go together in the next one
/// (<see cref="IConsentStore.GetCurrentManyAsync"/>), so under load a round trip carries many subjects. A lone miss
/// is read at once, on its own: batching never adds a wait.
/// </summary>
/// <remarks>
/// A miss joins a read already asked for only if the subject's invalidation epoch is the one that read was asked
/// under: a write the caller has seen acknowledged bumped the epoch before returning, so a caller never shares a
/// read that may have started before that write (a withdrawal takes effect at once).
/// </remarks>
internal sealed class SubjectMissReader(IConsentStore store, TimeSpan storeTimeout, TimeProvider timeProvider)
{
    /// <summary>Reads out at once; further misses queue for the next. Swept from 1 to 16 in docs/performance.md ("10M subjects"): 2 was best.</summary>
    public const int MaxReadsInFlight = 2;

    /// <summary>Subjects per batched read at most.</summary>
    public const int MaxBatch = 256;

    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Queue<Pending> _queued = new();
    private int _inFlight;

    /// <summary>Whether misses are coalesced and batched (on by default; off reads each miss on its own, for comparison).</summary>
    public bool Batching { get; set; } = true;

    /// <summary>Reads out at once (<see cref="MaxReadsInFlight"/>); settable for the sweep in the cold-check harness.</summary>
    public int ReadsInFlight { get; set; } = MaxReadsInFlight;

    /// <summary>Subjects per batched read at most (<see cref="MaxBatch"/>); settable for the sweep in the cold-check harness.</summary>
    public int BatchLimit { get; set; } = MaxBatch;

    /// <summary>The subject's current records, read under <paramref name="epoch"/>.</summary>
    public Task<IReadOnlyList<ConsentRecord>> ReadAsync(string subjectId, long epoch, CancellationToken cancellationToken)
    {
        if (!Batching)
        {
            return StoreTimeout.CallAsync(ct => store.GetCurrentAsync(subjectId, ct), storeTimeout, timeProvider, cancellationToken);
        }

        if (_pending.TryGetValue(subjectId, out var existing) && existing.Epoch == epoch)
        {
            return WaitAsync(existing, cancellationToken);
        }

        var mine = new Pending(subjectId, epoch);
        _pending[subjectId] = mine;
        List<Pending>? batch = null;
        lock (_lock)
        {
            _queued.Enqueue(mine);
            if (_inFlight < ReadsInFlight)
            {
                _inFlight++;
                batch = TakeLocked();
            }
        }

        if (batch is not null)
        {
            _ = RunAsync(batch);
        }

        return WaitAsync(mine, cancellationToken);
    }

    // A queued miss waits for reads ahead of it: the time-out counts from the caller's own start, as for a read of its own.
    private Task<IReadOnlyList<ConsentRecord>> WaitAsync(Pending pending, CancellationToken cancellationToken) =>
        storeTimeout == Timeout.InfiniteTimeSpan
            ? pending.Completion.Task.WaitAsync(cancellationToken)
            : pending.Completion.Task.WaitAsync(storeTimeout, timeProvider, cancellationToken);

    private List<Pending> TakeLocked()
    {
        var limit = BatchLimit;
        var batch = new List<Pending>(Math.Min(_queued.Count, limit));
        while (batch.Count < limit && _queued.TryDequeue(out var next))
        {
            batch.Add(next);
        }

        return batch;
    }

    private async Task RunAsync(List<Pending> batch)
    {
        while (batch.Count > 0)
        {
            await ReadBatchAsync(batch);
            lock (_lock)
            {
                batch = TakeLocked();
                if (batch.Count == 0)
                {
                    _inFlight--;
                }
            }
        }
    }

    private async Task ReadBatchAsync(List<Pending> batch)
    {
        try
        {
            // The read belongs to every caller in it, so no single caller's token cancels it; the time-out bounds it.
            IReadOnlyList<ConsentRecord> records = batch.Count == 1
                ? await StoreTimeout.CallAsync(ct => store.GetCurrentAsync(batch[0].SubjectId, ct), storeTimeout, timeProvider, CancellationToken.None)
                : await StoreTimeout.CallAsync(ct => store.GetCurrentManyAsync([.. batch.Select(p => p.SubjectId)], ct), storeTimeout, timeProvider, CancellationToken.None);
            Dictionary<string, List<ConsentRecord>>? bySubject = null;
            if (batch.Count > 1)
            {
                bySubject = new(batch.Count, StringComparer.Ordinal);
                foreach (var record in records)
                {
                    if (!bySubject.TryGetValue(record.SubjectId, out var list))
                    {
                        bySubject[record.SubjectId] = list = [];
                    }

                    list.Add(record);
                }
            }

            foreach (var pending in batch)
            {
                _pending.TryRemove(new KeyValuePair<string, Pending>(pending.SubjectId, pending));
                pending.Completion.TrySetResult(bySubject is null ? records : bySubject.TryGetValue(pending.SubjectId, out var mine) ? mine : []);
            }
        }
        catch (Exception ex)
        {
            foreach (var pending in batch)
            {
                _pending.TryRemove(new KeyValuePair<string, Pending>(pending.SubjectId, pending));
                pending.Completion.TrySetException(ex);
            }
        }
    }

    private sealed class Pending(string subjectId, long epoch)
    {
        public string SubjectId { get; } = subjectId;

        public long Epoch { get; } = epoch;

        public TaskCompletionSource<IReadOnlyList<ConsentRecord>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
