using ConsentKit.Storage;

namespace ConsentKit;

/// <summary>The lineage half of <see cref="InMemoryConsentStore"/>: entries of its proof log.</summary>
public sealed partial class InMemoryConsentStore : ILineageStore
{
    private readonly HashSet<string> _artifactIds = new(StringComparer.Ordinal);
    private readonly List<ConsentProofEntry> _lineage = [];

    /// <inheritdoc />
    public ValueTask<ConsentProofEntry> AppendLineageAsync(ConsentProofEntryKind kind, string? artifactId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        LineageStoreRules.CheckAppend(kind, artifactId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (kind == ConsentProofEntryKind.ArtifactRecorded && !_artifactIds.Add(artifactId!))
            {
                throw LineageStoreRules.Taken(artifactId!);
            }

            AppendProofLocked(kind, payload.ToArray());
            _lineage.Add(_proofLog[^1]);
            return ValueTask.FromResult(_proofLog[^1]);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentProofEntry>> GetLineageAsync(long afterLogSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterLogSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<ConsentProofEntry> page = [.. _lineage.Where(e => e.Sequence > afterLogSequence).Take(maxCount)];
            return ValueTask.FromResult(page);
        }
    }
}
