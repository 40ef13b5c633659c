namespace ConsentKit;

/// <summary>The data-use ledger half of <see cref="InMemoryConsentStore"/>.</summary>
public sealed partial class InMemoryConsentStore : IDataUseLedger
{
    private readonly Dictionary<string, DataUseState> _dataUses = new(StringComparer.Ordinal);
    private readonly List<DataUseState> _dataUseOrder = [];
    private readonly Dictionary<string, List<DataUseState>> _dataUsesBySubject = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<DataUse> StartAsync(NewDataUse dataUse, CancellationToken cancellationToken = default)
    {
        DataUseRules.Validate(dataUse);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_dataUses.ContainsKey(dataUse.Id))
            {
                throw new ArgumentException($"A data use with id '{dataUse.Id}' already exists.", "dataUse.Id");
            }

            var state = new DataUseState(new DataUse
            {
                Id = dataUse.Id,
                PurposeId = dataUse.PurposeId,
                Description = dataUse.Description,
                StartedAt = dataUse.StartedAt,
                Status = DataUseStatus.Running,
            });
            _dataUses.Add(dataUse.Id, state);
            _dataUseOrder.Add(state);
            AppendProofLocked(ConsentProofEntryKind.DataUseStarted, ConsentProofLog.DataUseStarted(dataUse));
            return ValueTask.FromResult(state.Snapshot);
        }
    }

    /// <inheritdoc />
    public ValueTask AddSubjectsAsync(string dataUseId, IReadOnlyList<DataUseSubject> subjects, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        ArgumentNullException.ThrowIfNull(subjects);
        if (subjects.Any(s => s?.SubjectId is null))
        {
            throw new ArgumentException("Every subject needs a subject id; nothing was written.", nameof(subjects));
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var state = Running(dataUseId);
            var added = new List<(byte[], long)>();
            foreach (var subject in subjects)
            {
                // Keyed by the pseudonymous key, as the other stores do, so erasing the subject unlinks these too.
                var registry = RegistryEntryLocked(subject.SubjectId);
                var key = registry.KeyHex;
                if (state.Subjects.TryAdd(key, subject.ConsentSequence))
                {
                    added.Add((registry.Key, subject.ConsentSequence));
                    if (!_dataUsesBySubject.TryGetValue(key, out var uses))
                    {
                        _dataUsesBySubject[key] = uses = [];
                    }

                    uses.Add(state);
                }
            }

            state.Snapshot = state.Snapshot with { SubjectCount = state.Subjects.Count };
            if (added.Count > 0)
            {
                AppendProofLocked(ConsentProofEntryKind.DataUseSubjectsAdded, ConsentProofLog.DataUseSubjectsAdded(dataUseId, added));
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<DataUse> CompleteAsync(string dataUseId, DateTimeOffset endedAt, long itemsSeen, long itemsKept, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        lock (_lock)
        {
            var state = Running(dataUseId);
            state.Snapshot = state.Snapshot with { Status = DataUseStatus.Completed, EndedAt = endedAt, ItemsSeen = itemsSeen, ItemsKept = itemsKept };
            AppendProofLocked(ConsentProofEntryKind.DataUseEnded, ConsentProofLog.DataUseEnded(dataUseId, DataUseStatus.Completed, endedAt, itemsSeen, itemsKept, null));
            return ValueTask.FromResult(state.Snapshot);
        }
    }

    /// <inheritdoc />
    public ValueTask<DataUse> FailAsync(string dataUseId, DateTimeOffset endedAt, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        lock (_lock)
        {
            var state = Running(dataUseId);
            state.Snapshot = state.Snapshot with { Status = DataUseStatus.Failed, EndedAt = endedAt, FailureReason = reason };
            AppendProofLocked(ConsentProofEntryKind.DataUseEnded, ConsentProofLog.DataUseEnded(dataUseId, DataUseStatus.Failed, endedAt, null, null, reason));
            return ValueTask.FromResult(state.Snapshot);
        }
    }

    /// <inheritdoc />
    public ValueTask<DataUse?> GetAsync(string dataUseId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        lock (_lock)
        {
            return ValueTask.FromResult(_dataUses.TryGetValue(dataUseId, out var state) ? state.Snapshot : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUse>> ListAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<DataUse>>([.. _dataUseOrder.AsEnumerable().Reverse().Take(limit).Select(s => s.Snapshot)]);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUseSubject>> GetSubjectsAsync(string dataUseId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        lock (_lock)
        {
            if (!_dataUses.TryGetValue(dataUseId, out var state))
            {
                return ValueTask.FromResult<IReadOnlyList<DataUseSubject>>([]);
            }

            var idByKey = _registry.ToDictionary(r => r.Value.KeyHex, r => r.Key, StringComparer.Ordinal);
            return ValueTask.FromResult<IReadOnlyList<DataUseSubject>>([.. state.Subjects
                .Select(s => new DataUseSubject
                {
                    SubjectId = idByKey.TryGetValue(s.Key, out var id) ? id : ConsentRecord.ErasedSubjectId(Convert.FromHexString(s.Key)),
                    ConsentSequence = s.Value,
                })
                .OrderBy(s => s.ConsentSequence)
                .ThenBy(s => s.SubjectId, StringComparer.Ordinal)]);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUse>> FindBySubjectAsync(string subjectId, string? purposeId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        lock (_lock)
        {
            IReadOnlyList<DataUse> result = _registry.TryGetValue(subjectId, out var entry) && _dataUsesBySubject.TryGetValue(entry.KeyHex, out var uses)
                ? [.. uses.Where(u => purposeId is null || u.Snapshot.PurposeId == purposeId).Select(u => u.Snapshot)]
                : [];
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUse>> FindAffectedByAsync(ConsentRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            var key = !record.SubjectKey.IsEmpty
                ? Convert.ToHexStringLower(record.SubjectKey.Span)
                : _registry.TryGetValue(record.SubjectId, out var entry) ? entry.KeyHex : null;
            IReadOnlyList<DataUse> result = key is not null && _dataUsesBySubject.TryGetValue(key, out var uses)
                ? [.. uses
                    .Where(u => ConsentPurposeId.IsSelfOrDescendant(u.Snapshot.PurposeId, record.PurposeId) && u.Subjects[key] < record.Sequence)
                    .Select(u => u.Snapshot)]
                : [];
            return ValueTask.FromResult(result);
        }
    }

    private DataUseState Running(string dataUseId)
    {
        if (!_dataUses.TryGetValue(dataUseId, out var state))
        {
            throw new ArgumentException($"No data use with id '{dataUseId}'.", nameof(dataUseId));
        }

        if (state.Snapshot.Status != DataUseStatus.Running)
        {
            throw new InvalidOperationException($"Data use '{dataUseId}' has already ended ({state.Snapshot.Status}).");
        }

        return state;
    }

    private sealed class DataUseState(DataUse snapshot)
    {
        public DataUse Snapshot { get; set; } = snapshot;

        public Dictionary<string, long> Subjects { get; } = new(StringComparer.Ordinal);
    }
}
