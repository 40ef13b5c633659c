using Microsoft.Extensions.Logging;

namespace ConsentKit;

/// <summary>
/// A consent-filtered stream: enumerating it reads the source in batches, decides every subject once
/// — by id in one bulk lookup per batch, or from one snapshot of the purpose's current state once the
/// run is large (<see cref="ConsentFilterOptions.Lookup"/>) — and yields, in the source's order, only
/// the items whose subject allows the purpose. Enumerate it once; <see cref="Report"/> fills in as it goes.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class ConsentFilterRun<T> : IAsyncEnumerable<T>
{
    private readonly IAsyncEnumerable<T>? _asyncSource;
    private readonly IEnumerable<T>? _syncSource;
    private readonly Func<T, string?> _subjectOf;
    private readonly IConsentGate _gate;
    private readonly IDataUseLedger? _ledger;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConsentFilterOptions _options;
    private int _enumerated;

    internal ConsentFilterRun(
        IAsyncEnumerable<T>? asyncSource, IEnumerable<T>? syncSource, Func<T, string?> subjectOf, string purposeId, IConsentGate gate,
        IDataUseLedger? ledger, TimeProvider timeProvider, ILogger logger, ConsentFilterOptions options)
    {
        _asyncSource = asyncSource;
        _syncSource = syncSource;
        _subjectOf = subjectOf;
        _gate = gate;
        _ledger = ledger;
        _timeProvider = timeProvider;
        _logger = logger;

        // A copy: changing the caller's options object after the run was made must not change the run.
        _options = new ConsentFilterOptions
        {
            BatchSize = options.BatchSize,
            Lookup = options.Lookup,
            SnapshotThreshold = options.SnapshotThreshold,
            DataUseDescription = options.DataUseDescription,
            DataUseId = options.DataUseId,
        };
        Report = new ConsentFilterReport(purposeId);
    }

    /// <summary>What the run saw, kept and left out so far.</summary>
    public ConsentFilterReport Report { get; }

    /// <inheritdoc />
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("A consent-filtered run can be enumerated once; start a new run to filter again.");
        }

        return new Enumerator(this, cancellationToken);
    }

    private enum State
    {
        NotStarted,
        Reading,
        SourceDone,
        Finished,
        Failed,
    }

    /// <summary>
    /// Hand-written rather than an async iterator: the items of a decided batch are handed out by a
    /// synchronous <see cref="MoveNextAsync"/>, so the per-item cost is an array read, not a state machine.
    /// </summary>
    private sealed class Enumerator(ConsentFilterRun<T> run, CancellationToken cancellationToken) : IAsyncEnumerator<T>
    {
        private readonly SubjectDecisions _decided = new();
        private readonly List<(T Item, int Subject)> _pending = [];
        private readonly List<(string Subject, int Number)> _undecided = [];
        private List<DataUseSubject> _newlyKept = [];
        private T[] _out = new T[Math.Min(run._options.BatchSize, 16_384)];
        private int _outCount;
        private int _outIndex;
        private IEnumerator<T>? _sync;
        private IAsyncEnumerator<T>? _async;
        private ConsentPurposeDecisions? _snapshot;
        private DataUse? _dataUse;
        private State _state;

        public T Current { get; private set; } = default!;

        private ConsentFilterReport Report => run.Report;

        public ValueTask<bool> MoveNextAsync()
        {
            if (_outIndex < _outCount)
            {
                Current = _out[_outIndex++];
                return new ValueTask<bool>(true);
            }

            return FillAsync();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_state is State.Reading or State.SourceDone)
                {
                    // Abandoned before the end: the subjects recorded so far stay on the record.
                    await FailAsync();
                }
            }
            finally
            {
                _sync?.Dispose();
                if (_async is not null)
                {
                    await _async.DisposeAsync();
                }

                Array.Clear(_out);
            }
        }

        private async ValueTask<bool> FillAsync()
        {
            try
            {
                while (true)
                {
                    switch (_state)
                    {
                        case State.NotStarted:
                            await StartAsync();
                            break;
                        case State.Reading:
                            await ReadBatchAsync();
                            if (_outCount > 0)
                            {
                                Current = _out[0];
                                _outIndex = 1;
                                return true;
                            }

                            break;
                        case State.SourceDone:
                            await CompleteAsync();
                            return false;
                        default:
                            return false;
                    }
                }
            }
            catch
            {
                await FailAsync();
                throw;
            }
        }

        private async ValueTask StartAsync()
        {
            if (run._options.DataUseDescription is { } description)
            {
                _dataUse = await run._ledger!.StartAsync(
                    new NewDataUse { Id = run._options.DataUseId ?? Guid.NewGuid().ToString("N"), PurposeId = Report.PurposeId, Description = description, StartedAt = run._timeProvider.GetUtcNow() },
                    cancellationToken);
                Report.DataUse = _dataUse;
            }

            // From here on a failure marks the data use Failed.
            _state = State.Reading;
            if (run._options.Lookup == ConsentFilterLookup.Snapshot)
            {
                await TakeSnapshotAsync();
            }

            _sync = run._syncSource?.GetEnumerator();
            _async = run._asyncSource?.GetAsyncEnumerator(cancellationToken);
        }

        private async ValueTask ReadBatchAsync()
        {
            cancellationToken.ThrowIfCancellationRequested();
            _outCount = 0;
            _outIndex = 0;
            var batchSize = run._options.BatchSize;
            var read = 0;
            var ended = false;
            if (_sync is not null)
            {
                // A synchronous source stays synchronous: no async step per item.
                while (read < batchSize)
                {
                    if (!_sync.MoveNext())
                    {
                        ended = true;
                        break;
                    }

                    Take(_sync.Current);
                    read++;
                }
            }
            else
            {
                while (read < batchSize)
                {
                    if (!await _async!.MoveNextAsync())
                    {
                        ended = true;
                        break;
                    }

                    Take(_async.Current);
                    read++;
                }
            }

            if (_pending.Count > 0)
            {
                await DecidePendingAsync();
            }

            if (_newlyKept.Count > 0)
            {
                // Recorded before the items are handed out, so the ledger never misses data that left.
                var subjects = _newlyKept;
                _newlyKept = [];
                await run._ledger!.AddSubjectsAsync(_dataUse!.Id, subjects, cancellationToken);
            }

            if (ended)
            {
                _state = State.SourceDone;
            }
        }

        // One hash lookup per item: in the snapshot's slots once the run reads from one, else in the run's
        // own numbering. A subject is decided once per run.
        private void Take(T item)
        {
            var subject = run._subjectOf(item);
            if (_snapshot is not null)
            {
                if (subject is null)
                {
                    Emit(item, ConsentDecisionReason.NoRecord);
                    return;
                }

                var slot = _snapshot.SlotOf(subject);
                if (_snapshot.MarkSeen(slot))
                {
                    FirstSight(subject, _snapshot.DecisionAt(slot));
                }

                Emit(item, _snapshot.ReasonAt(slot));
                return;
            }

            var number = _decided.NumberOf(subject, out var isNew);
            if (isNew)
            {
                _undecided.Add((subject!, number));
            }

            _pending.Add((item, number));
        }

        private void Emit(T item, ConsentDecisionReason reason)
        {
            Report.Seen(reason);
            if (reason == ConsentDecisionReason.Granted)
            {
                if (_outCount == _out.Length)
                {
                    Array.Resize(ref _out, _out.Length * 2);
                }

                _out[_outCount++] = item;
            }
        }

        private void Decide(string subject, int number, in ConsentDecision decision)
        {
            _decided.Decide(number, decision.Reason);
            FirstSight(subject, decision);
        }

        private void FirstSight(string subject, in ConsentDecision decision)
        {
            Report.SubjectDecided(decision.IsAllowed);
            if (decision.IsAllowed && _dataUse is not null)
            {
                _newlyKept.Add(new DataUseSubject { SubjectId = subject, ConsentSequence = decision.Record!.Sequence });
            }
        }

        private async ValueTask DecidePendingAsync()
        {
            if (_undecided.Count > 0)
            {
                if (run._options.Lookup == ConsentFilterLookup.Automatic && _decided.Count > run._options.SnapshotThreshold)
                {
                    await TakeSnapshotAsync();
                }

                if (_snapshot is not null)
                {
                    foreach (var (subject, number) in _undecided)
                    {
                        var slot = _snapshot.SlotOf(subject);
                        _snapshot.MarkSeen(slot);
                        Decide(subject, number, _snapshot.DecisionAt(slot));
                    }
                }
                else
                {
                    await LookUpAsync();
                }

                _undecided.Clear();
            }

            foreach (var (item, number) in _pending)
            {
                Emit(item, _decided.ReasonOf(number));
            }

            _pending.Clear();
        }

        private async ValueTask LookUpAsync()
        {
            var subjects = new string[_undecided.Count];
            for (var i = 0; i < subjects.Length; i++)
            {
                subjects[i] = _undecided[i].Subject;
            }

            var decisions = await run._gate.CheckManyAsync(subjects, Report.PurposeId, cancellationToken);
            Report.LookedUp();
            foreach (var (subject, number) in _undecided)
            {
                var decision = decisions.TryGetValue(subject, out var d) ? d : default;
                if (decision.Reason == ConsentDecisionReason.StoreUnavailable)
                {
                    // Never "let everything through", and never quietly drop the rest: stop the run.
                    throw StoreFailed();
                }

                Decide(subject, number, decision);
            }
        }

        private async ValueTask TakeSnapshotAsync()
        {
            if (run._gate is not ConsentGate gate)
            {
                // Another gate implementation: only the by-id path exists (Filter refuses Lookup = Snapshot there).
                return;
            }

            var snapshot = await gate.DecideAllAsync(Report.PurposeId, cancellationToken);
            if (snapshot.StoreUnavailable)
            {
                throw StoreFailed();
            }

            // Subjects already decided by id keep that decision (each subject is decided once per run); the
            // ones of the batch being read are decided from the snapshot by the caller.
            var undecided = _undecided.Select(u => u.Number).ToHashSet();
            foreach (var (subject, number) in _decided.Numbers)
            {
                if (!undecided.Contains(number))
                {
                    snapshot.Keep(subject, _decided.ReasonOf(number));
                }
            }

            _snapshot = snapshot;
            Report.SnapshotTaken(snapshot.Watermark);
        }

        private ConsentStoreException StoreFailed() =>
            new($"The consent store failed during a '{Report.PurposeId}' run after {Report.ItemsSeen:N0} items; the run was stopped.");

        private async ValueTask CompleteAsync()
        {
            if (_dataUse is not null)
            {
                Report.DataUse = await run._ledger!.CompleteAsync(_dataUse.Id, run._timeProvider.GetUtcNow(), Report.ItemsSeen, Report.ItemsKept, cancellationToken);
            }

            _state = State.Finished;
            Report.Completed = true;
            Log.FilterCompleted(run._logger, Report.PurposeId, Report.ItemsSeen, Report.ItemsKept, Report.SubjectsKept);
        }

        private async ValueTask FailAsync()
        {
            if (_state is State.Finished or State.Failed)
            {
                return;
            }

            _state = State.Failed;
            if (_dataUse is not null)
            {
                // The subjects recorded so far stay on the record: their data may already be out.
                Report.DataUse = await run._ledger!.FailAsync(
                    _dataUse.Id, run._timeProvider.GetUtcNow(), "The run stopped before the end of its source.", CancellationToken.None);
            }
        }
    }

    /// <summary>Numbers subjects as they are first seen and keeps one reason per number.</summary>
    /// <remarks>
    /// The reasons live in a byte array beside the dictionary (100 KB per 100k subjects) rather than as
    /// whole decisions: the per-item path then touches one hash entry and one byte, which stay in cache.
    /// </remarks>
    private sealed class SubjectDecisions
    {
        private const int NoSubject = -1;

        // The default comparer is ordinal and keeps the runtime's fast non-randomized string hashing
        // (falling back to randomized hashing under collisions).
        private readonly Dictionary<string, int> _numbers = [];
        private byte[] _reasons = new byte[1_024];

        public int Count => _numbers.Count;

        public IEnumerable<KeyValuePair<string, int>> Numbers => _numbers;

        // Items without a subject are left out as having no record.
        public ConsentDecisionReason ReasonOf(int number) => number == NoSubject ? ConsentDecisionReason.NoRecord : (ConsentDecisionReason)_reasons[number];

        public int NumberOf(string? subject, out bool isNew)
        {
            if (subject is null)
            {
                isNew = false;
                return NoSubject;
            }

            ref var number = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_numbers, subject, out var seen);
            isNew = !seen;
            if (isNew)
            {
                number = _numbers.Count - 1;
                if (number == _reasons.Length)
                {
                    Array.Resize(ref _reasons, _reasons.Length * 2);
                }
            }

            return number;
        }

        public void Decide(int number, ConsentDecisionReason reason) => _reasons[number] = (byte)reason;
    }
}
