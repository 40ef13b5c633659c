using System.Runtime.CompilerServices;

namespace ConsentKit;

/// <summary>
/// A thread-safe <see cref="IConsentStore"/> kept in process memory: for tests, demos and single-process
/// tools. Nothing survives the process; use the SQLite or PostgreSQL store for real data.
/// </summary>
/// <remarks>It keeps the same hash chain, subject registry and notices as the durable stores, so the conformance suites hold for it too.</remarks>
public sealed partial class InMemoryConsentStore : IConsentStore
{
    // One lock keeps the sequence, the chain, the history and the current-state index consistent with
    // each other; the store is for tests and small tools, where simplicity beats lock-free throughput.
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RegistryEntry> _registry = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SubjectRecords> _subjects = new(StringComparer.Ordinal);
    private readonly Dictionary<(string KeyHex, string Purpose), long> _current = [];
    private readonly Dictionary<(string Purpose, string Version), ConsentNotice> _notices = [];
    private readonly List<ConsentRecord> _log = [];
    private readonly List<ConsentChainEntry> _chain = [];
    private readonly List<ConsentProofEntry> _proofLog = [];
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
        // Sequences are dense here (1, 2, 3, …), so the feed is a slice of the log.
        return ValueTask.FromResult<IReadOnlyList<ConsentRecord>>(PageAfter(_log, afterSequence, maxCount));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentChainEntry>> GetChainAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<IReadOnlyList<ConsentChainEntry>>(PageAfter(_chain, afterSequence, maxCount));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentProofEntry>> GetProofLogAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<IReadOnlyList<ConsentProofEntry>>(PageAfter(_proofLog, afterSequence, maxCount));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ConsentSubjectRegistration> GetSubjectRegistryAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ConsentSubjectRegistration[] rows;
        lock (_lock)
        {
            rows = [.. _registry.Select(r => new ConsentSubjectRegistration { SubjectId = r.Key, SubjectKey = r.Value.Key, Secret = r.Value.Secret })];
        }

        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return row;
        }
    }

    /// <inheritdoc />
    public ValueTask<long> GetSequenceCounterAsync(CancellationToken cancellationToken = default) => GetLastSequenceAsync(cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ConsentCurrentPointer> GetCurrentStateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ConsentCurrentPointer[] rows;
        lock (_lock)
        {
            rows = [.. _current.Select(p => new ConsentCurrentPointer { SubjectKey = Convert.FromHexString(p.Key.KeyHex), PurposeId = p.Key.Purpose, Sequence = p.Value })];
        }

        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return row;
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SaveNoticesAsync(IReadOnlyList<ConsentNotice> notices, DateTimeOffset seenAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notices);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            foreach (var notice in notices)
            {
                ArgumentNullException.ThrowIfNull(notice, nameof(notices));
                if (_notices.TryGetValue((notice.PurposeId, notice.NoticeVersion), out var kept) && !kept.SameAs(notice))
                {
                    throw new ConsentNoticeConflictException(kept, notice);
                }
            }

            foreach (var notice in notices)
            {
                _notices.TryAdd((notice.PurposeId, notice.NoticeVersion), notice);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentNotice>> GetNoticesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<ConsentNotice>>([.. _notices.Values]);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>?> EraseSubjectAsync(string subjectId, DateTimeOffset erasedAt, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_registry.TryGetValue(subjectId, out var entry))
            {
                return ValueTask.FromResult<IReadOnlyList<ConsentRecord>?>(null);
            }

            var closing = new List<ConsentRecord>();
            if (_subjects.TryGetValue(subjectId, out var subject))
            {
                foreach (var granted in subject.Current.Values.Where(r => r.Status == ConsentStatus.Granted).OrderBy(r => r.Sequence).ToList())
                {
                    closing.Add(AppendLocked(ConsentErasure.ClosingWithdrawal(granted, erasedAt)));
                }
            }

            _registry.Remove(subjectId);
            AppendProofLocked(ConsentProofEntryKind.SubjectErased, ConsentProofLog.SubjectErased(entry.Key, erasedAt));
            _subjects.Remove(subjectId);
            var erasedId = ConsentRecord.ErasedSubjectId(entry.Key);
            for (var i = 0; i < _log.Count; i++)
            {
                if (_log[i].SubjectId == subjectId && !_log[i].IsSubjectErased)
                {
                    _log[i] = ConsentErasure.Erased(_log[i], erasedId);
                }
            }

            return ValueTask.FromResult<IReadOnlyList<ConsentRecord>?>([.. closing.Select(r => _log[(int)r.Sequence - 1])]);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> GetLastSequenceAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Count);
    }

    /// <summary>A hook for tests: returns the exception an append of the record should throw, or <see langword="null"/>.</summary>
    internal Func<NewConsentRecord, Exception?>? AppendFault { get; set; }

    private void ThrowIfFaulted(NewConsentRecord record)
    {
        if (AppendFault?.Invoke(record) is { } fault)
        {
            throw fault;
        }
    }

    private RegistryEntry RegistryEntryLocked(string subjectId)
    {
        if (!_registry.TryGetValue(subjectId, out var entry))
        {
            var key = ConsentSubjectSecrets.NewSubjectKey();
            entry = new RegistryEntry(key, Convert.ToHexStringLower(key), ConsentSubjectSecrets.NewSecret());
            _registry.Add(subjectId, entry);
            AppendProofLocked(ConsentProofEntryKind.SubjectRegistered, ConsentProofLog.SubjectRegistered(subjectId, entry.Key, entry.Secret));
        }

        return entry;
    }

    /// <summary>The items after position <paramref name="after"/> (sequences are dense from 1), at most <paramref name="maxCount"/>.</summary>
    private List<T> PageAfter<T>(List<T> items, long after, int maxCount)
    {
        lock (_lock)
        {
            var start = (int)Math.Min(after, items.Count);
            return items.GetRange(start, Math.Min(maxCount, items.Count - start));
        }
    }

    private void AppendProofLocked(ConsentProofEntryKind kind, byte[] payload) =>
        _proofLog.Add(ConsentProofLog.CreateEntry(_proofLog.Count + 1, kind, payload, _proofLog.Count == 0 ? ConsentChain.GenesisHash.Span : _proofLog[^1].Hash.Span));

    private ConsentRecord AppendLocked(NewConsentRecord record)
    {
        var registry = RegistryEntryLocked(record.SubjectId);
        var previous = _chain.Count == 0 ? null : _chain[^1];
        var entry = ConsentChain.CreateEntry(
            record,
            _lastSequence + 1,
            previous?.Sequence ?? 0,
            (previous?.Hash ?? ConsentChain.GenesisHash).Span,
            registry.Key,
            registry.Secret,
            _notices.TryGetValue((record.PurposeId, record.NoticeVersion), out var notice) ? notice.Digest : ConsentChain.NoNoticeDigest);

        var stored = new ConsentRecord(++_lastSequence, record, registry.Key)
        {
            NoticeDigest = entry.NoticeDigest,
            Hash = entry.Hash,
            PreviousHash = (previous?.Hash ?? ConsentChain.GenesisHash).ToArray(),
            PreviousSequence = entry.PreviousSequence,
        };
        if (!_subjects.TryGetValue(record.SubjectId, out var subject))
        {
            subject = new SubjectRecords();
            _subjects.Add(record.SubjectId, subject);
        }

        subject.History.Add(stored);
        _log.Add(stored);
        _chain.Add(entry);
        subject.Current[record.PurposeId] = stored;
        _current[(registry.KeyHex, record.PurposeId)] = stored.Sequence;
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
    public ValueTask<ConsentPurposeScan> ScanCurrentAsync(IReadOnlyCollection<string> purposeIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(purposeIds);
        if (purposeIds.Count == 0 || purposeIds.Any(p => p is null))
        {
            throw new ArgumentException("Name at least one purpose, and no null.", nameof(purposeIds));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var purposes = purposeIds.Distinct(StringComparer.Ordinal).ToArray();
        var records = new List<ConsentRecord>();
        lock (_lock)
        {
            foreach (var subject in _subjects.Values)
            {
                foreach (var purpose in purposes)
                {
                    if (subject.Current.TryGetValue(purpose, out var record))
                    {
                        records.Add(record);
                    }
                }
            }

            return ValueTask.FromResult(new ConsentPurposeScan { Watermark = Count, Records = records });
        }
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

    private sealed record RegistryEntry(byte[] Key, string KeyHex, byte[] Secret);

    private sealed class SubjectRecords
    {
        public List<ConsentRecord> History { get; } = [];

        public Dictionary<string, ConsentRecord> Current { get; } = new(StringComparer.Ordinal);
    }
}
