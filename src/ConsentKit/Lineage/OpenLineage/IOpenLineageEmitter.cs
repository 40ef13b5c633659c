namespace ConsentKit.OpenLineage;

/// <summary>
/// Reports what ConsentKit cannot see for itself. Data uses (START when started, COMPLETE or FAIL when ended) and
/// recorded artifacts (a build run, START and COMPLETE) are reported without a call; a build that failed never
/// reaches the lineage, so its job reports it here. Registered by <c>AddOpenLineage</c>.
/// </summary>
public interface IOpenLineageEmitter
{
    /// <summary>Emits a build run that failed: START at <paramref name="startedAt"/>, then FAIL with <paramref name="reason"/>.</summary>
    /// <param name="artifactId">The artifact the build was to make.</param>
    /// <param name="inputs">What it was built from (recorded data uses and artifacts).</param>
    /// <param name="startedAt">When the build started.</param>
    /// <param name="reason">Why it failed (at most 2,048 characters).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">An argument is empty or too long (named).</exception>
    ValueTask ReportFailedBuildAsync(string artifactId, IReadOnlyList<ArtifactInput> inputs, DateTimeOffset startedAt, string reason, CancellationToken cancellationToken = default);
}
