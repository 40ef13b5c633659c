using Microsoft.Extensions.Logging;

namespace ConsentKit;

/// <summary>How a consent-filtered run is read, batch by batch.</summary>
public sealed partial class ConsentFilterRun<T>
{
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
        // The run's subjects and their decisions: filled by id, or read whole from a snapshot. Either way an
        // item costs one lookup here, and each subject is decided once per run.
        private ConsentPurposeDecisions _decisions = ConsentPurposeDecisions.ForLookups(run.Report.PurposeId);
        private bool _fromSnapshot;
        private const int NoSubject = -1;
        private readonly List<(T Item, int Slot)> _pending = [];
        private readonly List<(string Subject, int Slot)> _undecided = [];
        private List<DataUseSubject> _newlyKept = [];
        private T[] _out = new T[Math.Min(run._options.BatchSize, 1_024)];
        private int _outCount;
        private int _outIndex;
        private IEnumerator<T>? _sync;
        private T[]? _array;
        private int _arrayIndex;
        private IAsyncEnumerator<T>? _async;
        private DataUse? _dataUse;
        private State _state;
        private bool _sourceEnded;
        private int _streamed;

        public T Current { get; private set; } = default!;

        private ConsentFilterReport Report => run.Report;

        public ValueTask<bool> MoveNextAsync()
        {
            if (_outIndex < _outCount)
            {
                Current = _out[_outIndex++];
                return new ValueTask<bool>(true);
            }

            // From a snapshot every decision is known: a synchronous source is read item by item right here,
            // holding nothing, until an item must wait for the ledger (then the batch path below takes over).
            if (_fromSnapshot && _state == State.Reading && (_array is not null || _sync is not null) && TryStream())
            {
                return new ValueTask<bool>(true);
            }

            return FillAsync();
        }

        private bool TryStream()
        {
            Array.Clear(_out, 0, _outCount);
            _outCount = 0;
            _outIndex = 0;
            while (_newlyKept.Count == 0)
            {
                if ((++_streamed & 0x3FF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                T item;
                if (_array is not null)
                {
                    if (_arrayIndex == _array.Length)
                    {
                        _sourceEnded = true;
                        return false;
                    }

                    item = _array[_arrayIndex++];
                }
                else if (_sync!.MoveNext())
                {
                    item = _sync.Current;
                }
                else
                {
                    _sourceEnded = true;
                    return false;
                }

                Take(item);
                if (_outCount > 0 && _newlyKept.Count == 0)
                {
                    Current = _out[0];
                    _out[0] = default!;
                    _outCount = 0;
                    return true;
                }
            }

            // The item just read waits in _out for its subject's ledger write.
            return false;
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
            if (run._options.Lookup == ConsentFilterLookup.Snapshot || run._options.KeptSnapshot is not null)
            {
                await TakeSnapshotAsync();
            }

            if (run._syncSource is T[] array)
            {
                _array = array;
            }
            else
            {
                _sync = run._syncSource?.GetEnumerator();
            }

            _async = run._asyncSource?.GetAsyncEnumerator(cancellationToken);
        }

        /// <summary>
        /// Reads the next items. By id, a batch of <see cref="ConsentFilterOptions.BatchSize"/> items waits for
        /// one bulk lookup. From a snapshot every decision is known, so reading stops at the first kept item
        /// that can leave at once; only items whose subjects must first be written to the ledger are held, at
        /// most a batch of them, with their subjects written in one ledger call.
        /// </summary>
        private async ValueTask ReadBatchAsync()
        {
            cancellationToken.ThrowIfCancellationRequested();

            // The items handed out last time are the caller's now: holding on to them would keep a batch alive.
            // (Items still waiting — put there by the streaming path — stay.)
            if (_outIndex == _outCount)
            {
                Array.Clear(_out, 0, _outCount);
                _outCount = 0;
            }

            _outIndex = 0;
            var batchSize = run._options.BatchSize;
            var read = 0;
            var ended = _sourceEnded;
            while (!ended && (_fromSnapshot ? !SnapshotBatchFull(batchSize) : read < batchSize))
            {
                if (_array is not null)
                {
                    // An array is read by index: no interface call per item.
                    if (_arrayIndex == _array.Length)
                    {
                        ended = true;
                        break;
                    }

                    Take(_array[_arrayIndex++]);
                }
                else if (_sync is not null)
                {
                    // A synchronous source stays synchronous: no async step per item.
                    if (!_sync.MoveNext())
                    {
                        ended = true;
                        break;
                    }

                    Take(_sync.Current);
                }
                else
                {
                    if (!await _async!.MoveNextAsync())
                    {
                        ended = true;
                        break;
                    }

                    Take(_async.Current);
                }

                read++;
                if ((read & 0x3FF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
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

        /// <summary>
        /// From a snapshot: stop reading once a kept item can leave without waiting (nothing new to write to the
        /// ledger), or once a batch of items waits for the ledger.
        /// </summary>
        private bool SnapshotBatchFull(int batchSize) => _outCount >= (_newlyKept.Count == 0 ? 1 : batchSize);

        private void Take(T item)
        {
            var subject = run._subjectOf(item);
            if (subject is null)
            {
                // Left out as having no record, in its place among the items.
                if (_fromSnapshot)
                {
                    Emit(item, ConsentDecisionReason.NoRecord);
                }
                else
                {
                    _pending.Add((item, NoSubject));
                }

                return;
            }

            var slot = _decisions.SlotOf(subject);
            var reason = _decisions.Visit(slot, out var firstSight);
            if (_fromSnapshot)
            {
                if (firstSight)
                {
                    FirstSight(subject, _decisions.DecisionAt(slot));
                }

                Emit(item, reason);
                return;
            }

            if (firstSight)
            {
                _undecided.Add((subject, slot));
            }

            _pending.Add((item, slot));
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
            // The batch's slots are in the decisions it was read into, even if a snapshot replaces them now.
            var batch = _decisions;
            if (_undecided.Count > 0)
            {
                if (run._options.Lookup == ConsentFilterLookup.Automatic && batch.Count > run._options.SnapshotThreshold)
                {
                    await TakeSnapshotAsync();
                }

                foreach (var (subject, slot, decision) in _fromSnapshot ? FromSnapshot() : await LookUpAsync())
                {
                    batch.Set(slot, decision);
                    FirstSight(subject, decision);
                }

                _undecided.Clear();
            }

            foreach (var (item, slot) in _pending)
            {
                Emit(item, slot == NoSubject ? ConsentDecisionReason.NoRecord : batch.ReasonAt(slot));
            }

            _pending.Clear();
        }

        private IEnumerable<(string Subject, int Slot, ConsentDecision Decision)> FromSnapshot()
        {
            foreach (var (subject, slot) in _undecided)
            {
                var own = _decisions.SlotOf(subject);
                _decisions.MarkSeen(own);
                yield return (subject, slot, _decisions.DecisionAt(own));
            }
        }

        private async ValueTask<List<(string Subject, int Slot, ConsentDecision Decision)>> LookUpAsync()
        {
            var subjects = new string[_undecided.Count];
            for (var i = 0; i < subjects.Length; i++)
            {
                subjects[i] = _undecided[i].Subject;
            }

            var decisions = await run._gate.CheckManyAsync(subjects, Report.PurposeId, cancellationToken);
            Report.LookedUp();
            var decided = new List<(string, int, ConsentDecision)>(_undecided.Count);
            foreach (var (subject, slot) in _undecided)
            {
                var decision = decisions.TryGetValue(subject, out var d) ? d : default;
                if (decision.Reason == ConsentDecisionReason.StoreUnavailable)
                {
                    // Never "let everything through", and never quietly drop the rest: stop the run.
                    throw StoreFailed();
                }

                decided.Add((subject, slot, decision));
            }

            return decided;
        }

        private async ValueTask TakeSnapshotAsync()
        {
            if (run._purposes is not { } purposes)
            {
                // A filter made by hand: only the by-id path exists (Filter refuses Lookup = Snapshot there).
                return;
            }

            var snapshot = run._options.KeptSnapshot is { } kept
                ? await kept.ForRunAsync(cancellationToken)
                : await purposes.DecideAllAsync(Report.PurposeId, cancellationToken);
            if (snapshot.StoreUnavailable)
            {
                throw StoreFailed();
            }

            // Subjects already decided by id keep that decision (each subject is decided once per run); the
            // ones of the batch being read are decided from the snapshot by the caller.
            var undecided = _undecided.Select(u => u.Slot).ToHashSet();
            foreach (var (subject, slot) in _decisions.Slots)
            {
                if (!undecided.Contains(slot))
                {
                    snapshot.Keep(subject, _decisions.ReasonAt(slot));
                }
            }

            _decisions = snapshot;
            _fromSnapshot = true;
            Report.SnapshotTaken(snapshot.Watermark);
            if (_dataUse is not null && run._ledger is OpenLineage.OpenLineageDataUseLedger reported)
            {
                reported.NoteSnapshot(_dataUse.Id, snapshot.Watermark, contentSha256: null);
            }
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
}
