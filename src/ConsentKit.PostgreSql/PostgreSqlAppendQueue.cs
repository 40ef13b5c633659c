using System.Collections.Concurrent;

namespace ConsentKit.PostgreSql;

/// <summary>
/// Group commit for one store instance: appends that arrive while another is being written wait in a
/// queue, and the next writer commits all of them in one transaction (one lock, one insert, one WAL
/// flush). Every append still holds the database-wide append lock until it commits, so across
/// instances sequences commit in order; within an instance this turns 16 waiting writers into one
/// transaction instead of 16 in a row.
/// </summary>
/// <remarks>
/// Each caller's records stay all or none: if a combined transaction fails, every request in it is
/// retried in a transaction of its own, so only the one that cannot be written fails. A caller whose
/// token is cancelled while it waits is taken out of the queue and nothing of it is written.
/// </remarks>
internal sealed class PostgreSqlAppendQueue(Func<IReadOnlyList<NewConsentRecord>, Task<IReadOnlyList<ConsentRecord>>> write)
{
    private const int MaxRecordsPerTransaction = 2_000;

    private readonly ConcurrentQueue<Request> _pending = new();
    private readonly SemaphoreSlim _writer = new(1, 1);

    public async Task<IReadOnlyList<ConsentRecord>> AppendAsync(IReadOnlyList<NewConsentRecord> records, CancellationToken cancellationToken)
    {
        var request = new Request(records);
        _pending.Enqueue(request);
        try
        {
            while (!request.Completion.Task.IsCompleted)
            {
                await _writer.WaitAsync(cancellationToken);
                try
                {
                    if (!request.Completion.Task.IsCompleted)
                    {
                        await WriteQueuedAsync();
                    }
                }
                finally
                {
                    _writer.Release();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && request.TryCancel())
        {
            // Still queued: no writer will take it now.
            throw;
        }

        return await request.Completion.Task;
    }

    private async Task WriteQueuedAsync()
    {
        var batch = new List<Request>();
        var count = 0;
        while (count < MaxRecordsPerTransaction && _pending.TryPeek(out var next) && (batch.Count == 0 || count + next.Records.Count <= MaxRecordsPerTransaction))
        {
            _pending.TryDequeue(out _);
            if (next.TryTake())
            {
                batch.Add(next);
                count += next.Records.Count;
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            var records = batch.Count == 1 ? batch[0].Records : [.. batch.SelectMany(r => r.Records)];
            var written = await write(records);
            var offset = 0;
            foreach (var request in batch)
            {
                var mine = request.Records.Count;
                request.Completion.SetResult([.. written.Skip(offset).Take(mine)]);
                offset += mine;
            }
        }
        catch (Exception ex) when (batch.Count == 1)
        {
            batch[0].Completion.SetException(ex);
        }
        catch (Exception)
        {
            // One request may have spoiled the others' transaction: each on its own, all or none.
            foreach (var request in batch)
            {
                try
                {
                    request.Completion.SetResult(await write(request.Records));
                }
                catch (Exception ex)
                {
                    request.Completion.SetException(ex);
                }
            }
        }
    }

    private sealed class Request(IReadOnlyList<NewConsentRecord> records)
    {
        private const int Queued = 0;
        private const int Taken = 1;
        private const int Cancelled = 2;
        private int _state;

        public IReadOnlyList<NewConsentRecord> Records { get; } = records;

        public TaskCompletionSource<IReadOnlyList<ConsentRecord>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        public bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;
    }
}
