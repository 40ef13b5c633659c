namespace ConsentKit.Storage;

/// <summary>
/// Keeps model lineage (artifacts built from data uses and from each other, and what happened to them)
/// in the store's proof log, so it is chained and verified with the rest of the history. Implemented by
/// the consent stores; ConsentKit encodes and checks every entry before it gets here.
/// </summary>
public interface ILineageStore
{
    /// <summary>
    /// Appends one lineage entry to the proof log, in one transaction. For
    /// <see cref="ConsentProofEntryKind.ArtifactRecorded"/> the artifact id must be new: the store enforces it
    /// (two callers racing with one id: one wins, the other gets <see cref="ArgumentException"/>).
    /// </summary>
    /// <param name="kind"><see cref="ConsentProofEntryKind.ArtifactRecorded"/> or <see cref="ConsentProofEntryKind.ArtifactEvent"/>.</param>
    /// <param name="artifactId">The artifact the entry is about (for an event, when it names one).</param>
    /// <param name="payload">The entry's payload.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entry as appended.</returns>
    /// <exception cref="ArgumentException">The artifact id is taken (<c>artifact.Id</c>), or the kind is not a lineage kind.</exception>
    /// <exception cref="ConsentStoreException">The store could not be used; nothing was written.</exception>
    ValueTask<ConsentProofEntry> AppendLineageAsync(ConsentProofEntryKind kind, string? artifactId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default);

    /// <summary>The lineage entries of the proof log after <paramref name="afterLogSequence"/>, in order; at most <paramref name="maxCount"/>.</summary>
    /// <param name="afterLogSequence">Only entries after this proof-log sequence.</param>
    /// <param name="maxCount">At most this many.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ConsentProofEntry>> GetLineageAsync(long afterLogSequence, int maxCount, CancellationToken cancellationToken = default);
}
