namespace ConsentKit;

/// <summary>
/// Model lineage: which artifacts (models, fine-tunes, indexes) were built from which data uses and from
/// each other, where they are deployed, and what each owes the people who withdrew. Everything is kept in
/// the store's proof log, chained and verified with the history; nothing is ever changed or removed.
/// </summary>
public interface IModelLineage
{
    /// <summary>Records an artifact built from data uses on the ledger and artifacts already recorded.</summary>
    /// <param name="artifact">The artifact.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The artifact as recorded.</returns>
    /// <exception cref="ArgumentException">
    /// A field is malformed, the id is taken, an input is unknown, named twice or the artifact itself (a cycle),
    /// or it was built before one of its inputs (<c>artifact.Id</c>, <c>artifact.Inputs</c>, <c>artifact.BuiltAt</c>, …); nothing is written.
    /// </exception>
    ValueTask<ModelArtifact> RecordArtifactAsync(NewArtifact artifact, CancellationToken cancellationToken = default);

    /// <summary>The artifact now serves <paramref name="deploymentId"/>, replacing whatever served it.</summary>
    /// <param name="deploymentId">The deployment, e.g. <c>chat-production</c>.</param>
    /// <param name="artifactId">The artifact (recorded, not retired).</param>
    /// <param name="by">Who deployed it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ArtifactEvent> DeployAsync(string deploymentId, string artifactId, string by, CancellationToken cancellationToken = default);

    /// <summary>Takes a deployment down: nothing serves it any more.</summary>
    /// <param name="deploymentId">A deployment something serves now.</param>
    /// <param name="by">Who retired it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ArtifactEvent> RetireDeploymentAsync(string deploymentId, string by, CancellationToken cancellationToken = default);

    /// <summary>Retires an artifact: it leaves every deployment and is not deployed or built on again.</summary>
    /// <param name="artifactId">The artifact.</param>
    /// <param name="by">Who retired it.</param>
    /// <param name="note">Why (optional).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ArtifactEvent> RetireArtifactAsync(string artifactId, string by, string? note = null, CancellationToken cancellationToken = default);

    /// <summary>Acknowledges an artifact's open obligations (they stay owed until resolved).</summary>
    /// <param name="artifactId">The artifact.</param>
    /// <param name="by">Who answers for them.</param>
    /// <param name="note">What will be done (optional).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ArtifactEvent> AcknowledgeObligationsAsync(string artifactId, string by, string? note = null, CancellationToken cancellationToken = default);

    /// <summary>The lineage as it stands.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<LineageGraph> GetGraphAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The artifacts a withdrawal, refusal or erasure reaches: every artifact built, at any depth, from a data use
    /// that included the person under an earlier grant, with the path from the data use to it.
    /// </summary>
    /// <param name="record">A withdrawal or refusal (a grant reaches nothing).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ArtifactHolding>> FindAffectedArtifactsAsync(ConsentRecord record, CancellationToken cancellationToken = default);

    /// <summary>The artifacts a person's data went into (GDPR Art. 15), with the path from each data use.</summary>
    /// <param name="subjectId">The person.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<ArtifactHolding>> FindArtifactsHoldingAsync(string subjectId, CancellationToken cancellationToken = default);

    /// <summary>
    /// What an artifact owes: each person whose data it holds and whose consent no longer stands (withdrawn,
    /// refused, expired, erased), since when, under which policy, by when, and whether it is resolved.
    /// </summary>
    /// <param name="artifactId">The artifact.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">No such artifact (<c>artifactId</c>).</exception>
    /// <exception cref="ConsentStoreException">The consent of its people could not be read: nothing is reported rather than too little.</exception>
    ValueTask<ArtifactObligations> GetObligationsAsync(string artifactId, CancellationToken cancellationToken = default);

    /// <summary>
    /// What every artifact owes, in recording order: as <see cref="GetObligationsAsync"/> for each, with each data
    /// use's members decided once for all the artifacts built from it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ConsentStoreException">The consent of the people could not be read.</exception>
    ValueTask<IReadOnlyList<ArtifactObligations>> GetAllObligationsAsync(CancellationToken cancellationToken = default);

    /// <summary>How to rebuild an artifact without the people it owes: the data uses to take again, who drops out, the artifacts to rebuild in order.</summary>
    /// <param name="artifactId">The artifact.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">No such artifact (<c>artifactId</c>).</exception>
    ValueTask<RebuildPlan> PlanRebuildAsync(string artifactId, CancellationToken cancellationToken = default);
}

/// <summary>An artifact that holds a person's data, and how it came to.</summary>
public sealed record ArtifactHolding
{
    /// <summary>The artifact.</summary>
    public required ModelArtifact Artifact { get; init; }

    /// <summary>The data use the person's data came in by.</summary>
    public required string DataUseId { get; init; }

    /// <summary>Ids from the data use to the artifact, e.g. <c>[set-1, base-model, fine-tune]</c>.</summary>
    public required IReadOnlyList<string> Path { get; init; }

    /// <summary>The deployments the artifact serves now.</summary>
    public required IReadOnlyList<string> Deployments { get; init; }

    /// <summary>What the artifact owes this person, when their consent no longer stands; otherwise <see langword="null"/>.</summary>
    public ArtifactObligation? Obligation { get; init; }

    /// <inheritdoc />
    public override string ToString() => string.Join(" → ", Path);
}

/// <summary>Where one person's obligation stands.</summary>
public enum ObligationStatus
{
    /// <summary>Owed, and no one has acknowledged it.</summary>
    Open = 1,

    /// <summary>Owed; someone answering for the artifact acknowledged it.</summary>
    Acknowledged = 2,

    /// <summary>Done, as the lineage shows: see <see cref="ArtifactObligation.Resolution"/>.</summary>
    Resolved = 3,
}

/// <summary>What an artifact owes one person.</summary>
public sealed record ArtifactObligation
{
    /// <summary>The person (as the ledger lists them; <c>erased:…</c> for an erased person).</summary>
    public required string SubjectId { get; init; }

    /// <summary>Why their consent no longer stands: withdrawn, refused, expired, no record (erased).</summary>
    public required ConsentDecisionReason Reason { get; init; }

    /// <summary>Since when; <see langword="null"/> when the store no longer says (an erased person).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>The data use their data came in by, and the path from it to the artifact.</summary>
    public required IReadOnlyList<string> Path { get; init; }

    /// <summary>The policy that applies (the data use's purpose).</summary>
    public required ObligationPolicy Policy { get; init; }

    /// <summary>By when it is owed; <see langword="null"/> for none.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Where it stands.</summary>
    public required ObligationStatus Status { get; init; }

    /// <summary>How it was resolved, in words, when it was.</summary>
    public string? Resolution { get; init; }

    /// <summary>Whether it is still owed and past its deadline.</summary>
    public required bool Overdue { get; init; }
}

/// <summary>Everything one artifact owes.</summary>
public sealed record ArtifactObligations
{
    /// <summary>The artifact.</summary>
    public required ModelArtifact Artifact { get; init; }

    /// <summary>The deployments it serves now.</summary>
    public required IReadOnlyList<string> Deployments { get; init; }

    /// <summary>Whether it or anything built from it serves a deployment now.</summary>
    public required bool Serving { get; init; }

    /// <summary>One entry per person owed (resolved ones included), earliest first.</summary>
    public required IReadOnlyList<ArtifactObligation> People { get; init; }

    /// <summary>When it was computed.</summary>
    public required DateTimeOffset AsOf { get; init; }

    /// <summary>How many are owed (open or acknowledged).</summary>
    public int Owed => People.Count(p => p.Status != ObligationStatus.Resolved);

    /// <summary>How many are owed and past their deadline.</summary>
    public int Overdue => People.Count(p => p.Overdue);

    /// <summary>The earliest deadline of what is owed, or <see langword="null"/>.</summary>
    public DateTimeOffset? NextDeadline => People.Where(p => p.Status != ObligationStatus.Resolved && p.Deadline is not null).Min(p => p.Deadline);
}

/// <summary>One data use to take again for a rebuild.</summary>
public sealed record RebuildInput
{
    /// <summary>The data use the artifact was built from.</summary>
    public required DataUse DataUse { get; init; }

    /// <summary>How many people it included.</summary>
    public required int Members { get; init; }

    /// <summary>Who must be left out: the people the artifact owes, from this data use.</summary>
    public required IReadOnlyList<string> LeaveOut { get; init; }
}

/// <summary>
/// How to rebuild an artifact without the people it owes: take each data use again for its purpose through the
/// gate (a new snapshot at <see cref="Watermark"/> or later leaves out everyone who withdrew up to it), then
/// rebuild <see cref="Rebuild"/> in order, record each under a new id, and deploy the result where the old one served.
/// </summary>
public sealed record RebuildPlan
{
    /// <summary>The artifact to replace.</summary>
    public required ModelArtifact Artifact { get; init; }

    /// <summary>The data uses it was built from, with who drops out of each.</summary>
    public required IReadOnlyList<RebuildInput> Inputs { get; init; }

    /// <summary>The artifacts between those data uses and it (itself last), in the order to rebuild them.</summary>
    public required IReadOnlyList<ModelArtifact> Rebuild { get; init; }

    /// <summary>The deployments to hand to the rebuilt artifact.</summary>
    public required IReadOnlyList<string> Deployments { get; init; }

    /// <summary>The last consent record at planning: the new snapshot must be taken at or after it.</summary>
    public required long Watermark { get; init; }

    /// <summary>When it was planned.</summary>
    public required DateTimeOffset PlannedAt { get; init; }
}
