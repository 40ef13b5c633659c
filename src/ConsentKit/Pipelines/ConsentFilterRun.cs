using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace ConsentKit;

/// <summary>
/// A consent-filtered stream: enumerating it reads the source in batches, asks the gate for every
/// subject not seen before in one bulk lookup, and yields — in the source's order — only the items
/// whose subject allows the purpose. Enumerate it once; <see cref="Report"/> fills in as it goes.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class ConsentFilterRun<T> : IAsyncEnumerable<T>
{
    private readonly IAsyncEnumerable<T> _source;
    private readonly Func<T, string?> _subjectOf;
    private readonly IConsentGate _gate;
    private readonly IDataUseLedger? _ledger;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConsentFilterOptions _options;
    private int _enumerated;

    internal ConsentFilterRun(
        IAsyncEnumerable<T> source, Func<T, string?> subjectOf, string purposeId, IConsentGate gate, IDataUseLedger? ledger,
        TimeProvider timeProvider, ILogger logger, ConsentFilterOptions options)
    {
        _source = source;
        _subjectOf = subjectOf;
        _gate = gate;
        _ledger = ledger;
        _timeProvider = timeProvider;
        _logger = logger;
        _options = options;
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

        return RunAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<T> RunAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var purposeId = Report.PurposeId;
        DataUse? dataUse = null;
        if (_options.DataUseDescription is { } description)
        {
            dataUse = await _ledger!.StartAsync(
                new NewDataUse { Id = _options.DataUseId ?? Guid.NewGuid().ToString("N"), PurposeId = purposeId, Description = description, StartedAt = _timeProvider.GetUtcNow() },
                cancellationToken);
            Report.DataUse = dataUse;
        }

        // Each distinct subject is looked up once per run: memory grows with distinct subjects, never
        // with the number of items. Subjects get a number the first time they are seen, so each item
        // costs one hash lookup; the default comparer is ordinal and keeps the runtime's fast
        // non-randomized string hashing (falling back to randomized hashing under collisions).
        var decided = new SubjectDecisions();
        var batch = new List<(T Item, int Subject)>(_options.BatchSize);
        var kept = new List<T>(_options.BatchSize);
        var finished = false;
        try
        {
            await foreach (var item in _source.WithCancellation(cancellationToken))
            {
                batch.Add((item, decided.NumberOf(_subjectOf(item))));
                if (batch.Count < _options.BatchSize)
                {
                    continue;
                }

                await DecideBatchAsync(batch, decided, kept, dataUse, cancellationToken);
                foreach (var keep in kept)
                {
                    yield return keep;
                }
            }

            await DecideBatchAsync(batch, decided, kept, dataUse, cancellationToken);
            foreach (var keep in kept)
            {
                yield return keep;
            }

            if (dataUse is not null)
            {
                Report.DataUse = await _ledger!.CompleteAsync(dataUse.Id, _timeProvider.GetUtcNow(), Report.ItemsSeen, Report.ItemsKept, cancellationToken);
            }

            finished = true;
            Report.Completed = true;
            Log.FilterCompleted(_logger, purposeId, Report.ItemsSeen, Report.ItemsKept, Report.SubjectsKept);
        }
        finally
        {
            if (!finished && dataUse is not null)
            {
                // The subjects recorded so far stay on the record: their data may already be out.
                Report.DataUse = await _ledger!.FailAsync(
                    dataUse.Id, _timeProvider.GetUtcNow(), "The run stopped before the end of its source.", CancellationToken.None);
            }
        }
    }

    private async ValueTask DecideBatchAsync(
        List<(T Item, int Subject)> batch, SubjectDecisions decided, List<T> kept, DataUse? dataUse, CancellationToken cancellationToken)
    {
        kept.Clear();
        if (batch.Count == 0)
        {
            return;
        }

        var fresh = decided.TakeUndecided();
        if (fresh.Count > 0)
        {
            var decisions = await _gate.CheckManyAsync(fresh, Report.PurposeId, cancellationToken);
            var newlyKept = new List<DataUseSubject>();
            foreach (var subject in fresh)
            {
                var decision = decisions.TryGetValue(subject, out var d) ? d : default;
                if (decision.Reason == ConsentDecisionReason.StoreUnavailable)
                {
                    // Never "let everything through", and never quietly drop the rest: stop the run.
                    throw new ConsentStoreException(
                        $"The consent store failed during a '{Report.PurposeId}' run after {Report.ItemsSeen:N0} items; the run was stopped.");
                }

                decided.Decide(subject, decision);
                if (decision.IsAllowed)
                {
                    newlyKept.Add(new DataUseSubject { SubjectId = subject, ConsentSequence = decision.Record!.Sequence });
                }
            }

            if (dataUse is not null && newlyKept.Count > 0)
            {
                // Recorded before the items are handed out, so the ledger never misses data that left.
                await _ledger!.AddSubjectsAsync(dataUse.Id, newlyKept, cancellationToken);
            }

            Report.LookedUp(fresh.Count, newlyKept.Count);
        }

        foreach (var (item, subject) in batch)
        {
            var decision = decided[subject];
            Report.Seen(decision);
            if (decision.IsAllowed)
            {
                kept.Add(item);
            }
        }

        batch.Clear();
    }

    /// <summary>Numbers subjects as they are first seen and keeps one decision per number.</summary>
    private sealed class SubjectDecisions
    {
        private const int NoSubject = -1;

        private readonly Dictionary<string, int> _numbers = [];
        private readonly List<ConsentDecision> _decisions = [];
        private readonly List<string> _undecided = [];

        public ConsentDecision this[int number] => number == NoSubject ? default : _decisions[number];

        public int NumberOf(string? subject)
        {
            if (subject is null)
            {
                return NoSubject;
            }

            ref var number = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_numbers, subject, out var seen);
            if (!seen)
            {
                number = _decisions.Count;
                _decisions.Add(default);
                _undecided.Add(subject);
            }

            return number;
        }

        public List<string> TakeUndecided()
        {
            var undecided = new List<string>(_undecided);
            _undecided.Clear();
            return undecided;
        }

        public void Decide(string subject, ConsentDecision decision) => _decisions[_numbers[subject]] = decision;
    }
}
