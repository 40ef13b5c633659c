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
            return ValueTask.FromResult(AppendLocked(record));
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
