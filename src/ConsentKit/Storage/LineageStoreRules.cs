namespace ConsentKit.Storage;

/// <summary>Argument checks shared by every <see cref="ILineageStore"/>, so each store refuses alike.</summary>
public static class LineageStoreRules
{
    /// <summary>Throws unless <paramref name="kind"/> is a lineage kind and an artifact record names its artifact.</summary>
    /// <param name="kind">The entry's kind.</param>
    /// <param name="artifactId">The artifact it is about.</param>
    public static void CheckAppend(ConsentProofEntryKind kind, string? artifactId)
    {
        if (kind is not (ConsentProofEntryKind.ArtifactRecorded or ConsentProofEntryKind.ArtifactEvent))
        {
            throw new ArgumentException($"{kind} is not a lineage entry.", nameof(kind));
        }

        if (kind == ConsentProofEntryKind.ArtifactRecorded && string.IsNullOrEmpty(artifactId))
        {
            throw new ArgumentException("An artifact record names its artifact.", nameof(artifactId));
        }
    }

    /// <summary>The error for an artifact id that is already recorded.</summary>
    /// <param name="artifactId">The id.</param>
    public static ArgumentException Taken(string artifactId) =>
        new($"An artifact with id '{artifactId}' is already recorded; artifacts are never replaced: record the rebuild under a new id.", "artifact.Id");
}
