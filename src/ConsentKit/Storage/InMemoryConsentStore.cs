namespace ConsentKit;

/// <summary>
/// A thread-safe <see cref="IConsentStore"/> kept in process memory: for tests, demos and single-process
/// tools. Nothing survives the process; use the SQLite or PostgreSQL store for real data.
/// </summary>
public sealed partial class InMemoryConsentStore : IConsentStore
{
    // One lock keeps the sequence, the history and the current-state index consistent with each other;
    // the store is for tests and small tools, where simplicity beats lock-free throughput.
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SubjectRecords> _subjects = new(StringComparer.Ordinal);
    private readonly List<ConsentRecord> _log = [];
    private long _lastSequence;

    /// <summary>How many records have been appended.</summary>
    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _lastSequence;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<ConsentRecord> AppendAsync(NewConsentRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ThrowIfFaulted(record);
            return ValueTask.FromResult(AppendLocked(record));
        }
    }

    /// <inheritdoc />
    public ValueTask<ConsentRecord?> AppendIfCurrentAsync(NewConsentRecord record, long expectedCurrentSequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedCurrentSequence);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var current = _subjects.TryGetValue(record.SubjectId, out var subject) && subject.Current.TryGetValue(record.PurposeId, out var last)
                ? last.Sequence
                : 0;
            if (current != expectedCurrentSequence)
            {
                return ValueTask.FromResult<ConsentRecord?>(null);
            }

            ThrowIfFaulted(record);
            return ValueTask.FromResult<ConsentRecord?>(AppendLocked(record));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> GetChangesAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            // Sequences are dense here (1, 2, 3, …), so the feed is a slice of the log.
            var start = (int)Math.Min(afterSequence, _log.Count);
            var count = Math.Min(maxCount, _log.Count - start);
            return ValueTask.FromResult<IReadOnlyList<ConsentRecord>>(_log.GetRange(start, count));
        }
    }

    /// <inheritdoc />
    public ValueTask<long> GetLastSequenceAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Count);
    }

    /// <summary>For the conformance tests: an append of a record this returns an exception for fails with it.</summary>
    internal Func<NewConsentRecord, Exception?>? AppendFault { get; set; }

    private void ThrowIfFaulted(NewConsentRecord record)
    {
        if (AppendFault?.Invoke(record) is { } fault)
        {
            throw fault;
        }
    }

    private ConsentRecord AppendLocked(NewConsentRecord record)
    {
        var stored = new ConsentRecord(++_lastSequence, record);
        if (!_subjects.TryGetValue(record.SubjectId, out var subject))
        {
            subject = new SubjectRecords();
            _subjects.Add(record.SubjectId, subject);
        }

        subject.History.Add(stored);
        _log.Add(stored);
        subject.Current[record.PurposeId] = stored;
        return stored;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> AppendManyAsync(IReadOnlyList<NewConsentRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            // All or none: every record is checked before the first is appended.
            foreach (var record in records)
            {
                ThrowIfFaulted(record);
            }

            var stored = new ConsentRecord[records.Count];
            for (var i = 0; i < stored.Length; i++)
            {
                stored[i] = AppendLocked(records[i]);
            }

            return ValueTask.FromResult<IReadOnlyList<ConsentRecord>>(stored);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<ConsentRecord> result = _subjects.TryGetValue(subjectId, out var subject)
                ? [.. subject.Current.Values]
                : [];
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectIds);
        cancellationToken.ThrowIfCancellationRequested();
        var result = new List<ConsentRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var subjectId in subjectIds)
            {
                if (subjectId is not null && seen.Add(subjectId) && _subjects.TryGetValue(subjectId, out var subject))
                {
                    result.AddRange(subject.Current.Values);
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<ConsentRecord>>(result);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<ConsentRecord> result = _subjects.TryGetValue(subjectId, out var subject)
                ? [.. subject.History]
                : [];
            return ValueTask.FromResult(result);
        }
    }

    private sealed class SubjectRecords
    {
        public List<ConsentRecord> History { get; } = [];

        public Dictionary<string, ConsentRecord> Current { get; } = new(StringComparer.Ordinal);
    }
}
