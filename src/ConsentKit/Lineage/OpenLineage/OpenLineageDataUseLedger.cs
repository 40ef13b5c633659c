using System.Collections.Concurrent;

namespace ConsentKit.OpenLineage;

/// <summary>
/// The data-use ledger with OpenLineage events: START when a data use starts, COMPLETE or FAIL when it ends, each
/// after the store took the write. Every other call goes straight to the store's ledger.
/// </summary>
internal sealed class OpenLineageDataUseLedger(IDataUseLedger inner, OpenLineageEmitter emitter) : IDataUseLedger
{
    // What runs and snapshots noted about a data use in this process, until it ends. A data use whose process
    // stops never ends here: the cap keeps such leftovers from growing without bound.
    private const int MostNoted = 4096;
    private readonly ConcurrentDictionary<string, SnapshotFacts> _noted = new(StringComparer.Ordinal);

    public IDataUseLedger Inner => inner;

    /// <summary>Notes the snapshot a data use's members are decided from, for its later events.</summary>
    public void NoteSnapshot(string dataUseId, long watermark, string? contentSha256)
    {
        if (_noted.Count >= MostNoted)
        {
            _noted.Clear();
        }

        _noted[dataUseId] = new SnapshotFacts(watermark, contentSha256);
    }

    public async ValueTask<DataUse> StartAsync(NewDataUse dataUse, CancellationToken cancellationToken = default)
    {
        var started = await inner.StartAsync(dataUse, cancellationToken);
        await emitter.DataUseStartedAsync(started, _noted.GetValueOrDefault(started.Id), cancellationToken);
        return started;
    }

    public ValueTask AddSubjectsAsync(string dataUseId, IReadOnlyList<DataUseSubject> subjects, CancellationToken cancellationToken = default) =>
        inner.AddSubjectsAsync(dataUseId, subjects, cancellationToken);

    public async ValueTask<DataUse> CompleteAsync(string dataUseId, DateTimeOffset endedAt, long itemsSeen, long itemsKept, CancellationToken cancellationToken = default)
    {
        var ended = await inner.CompleteAsync(dataUseId, endedAt, itemsSeen, itemsKept, cancellationToken);
        _noted.TryRemove(dataUseId, out var facts);
        await emitter.DataUseEndedAsync(ended, facts, cancellationToken);
        return ended;
    }

    public async ValueTask<DataUse> FailAsync(string dataUseId, DateTimeOffset endedAt, string reason, CancellationToken cancellationToken = default)
    {
        var ended = await inner.FailAsync(dataUseId, endedAt, reason, cancellationToken);
        _noted.TryRemove(dataUseId, out var facts);
        await emitter.DataUseEndedAsync(ended, facts, cancellationToken);
        return ended;
    }

    public ValueTask<DataUse?> GetAsync(string dataUseId, CancellationToken cancellationToken = default) => inner.GetAsync(dataUseId, cancellationToken);

    public ValueTask<IReadOnlyList<DataUse>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) => inner.ListAsync(limit, cancellationToken);

    public ValueTask<IReadOnlyList<DataUseSubject>> GetSubjectsAsync(string dataUseId, CancellationToken cancellationToken = default) =>
        inner.GetSubjectsAsync(dataUseId, cancellationToken);

    public ValueTask<IReadOnlyList<DataUse>> FindBySubjectAsync(string subjectId, string? purposeId = null, CancellationToken cancellationToken = default) =>
        inner.FindBySubjectAsync(subjectId, purposeId, cancellationToken);

    public ValueTask<IReadOnlyList<DataUse>> FindAffectedByAsync(ConsentRecord record, CancellationToken cancellationToken = default) =>
        inner.FindAffectedByAsync(record, cancellationToken);
}
