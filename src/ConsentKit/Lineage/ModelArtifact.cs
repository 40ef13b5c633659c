namespace ConsentKit;

/// <summary>What an artifact was built from.</summary>
public enum ArtifactInputKind
{
    /// <summary>A data use (a training set) on the ledger.</summary>
    DataUse = 1,

    /// <summary>Another artifact (a base model under a fine-tune, a teacher under a distilled model).</summary>
    Artifact = 2,
}

/// <summary>One input of an artifact: a data use or another artifact, by id.</summary>
public sealed record ArtifactInput
{
    /// <summary>A data use or an artifact.</summary>
    public required ArtifactInputKind Kind { get; init; }

    /// <summary>The data use's or the artifact's id.</summary>
    public required string Id { get; init; }

    /// <summary>An input that is a data use on the ledger.</summary>
    /// <param name="dataUseId">The data use's id.</param>
    public static ArtifactInput FromDataUse(string dataUseId) => new() { Kind = ArtifactInputKind.DataUse, Id = dataUseId };

    /// <summary>An input that is another artifact.</summary>
    /// <param name="artifactId">The artifact's id.</param>
    public static ArtifactInput FromArtifact(string artifactId) => new() { Kind = ArtifactInputKind.Artifact, Id = artifactId };

    /// <inheritdoc />
    public override string ToString() => $"{(Kind == ArtifactInputKind.DataUse ? "data use" : "artifact")} {Id}";
}

/// <summary>An artifact about to be recorded: something built from people's data (a model, a fine-tune, an index).</summary>
public sealed record NewArtifact
{
    /// <summary>A unique id, e.g. <c>chat-model-2026-12</c> (at most 128 characters).</summary>
    public required string Id { get; init; }

    /// <summary>Its version as its owners name it, e.g. <c>7.1</c>.</summary>
    public required string Version { get; init; }

    /// <summary>
    /// What it is: an open string, such as <see cref="ArtifactKinds.Model"/>, <see cref="ArtifactKinds.FineTune"/>,
    /// <see cref="ArtifactKinds.EmbeddingIndex"/> or a kind of your own.
    /// </summary>
    public required string Kind { get; init; }

    /// <summary>Who answers for it (a team, an address).</summary>
    public required string Owner { get; init; }

    /// <summary>When it was built.</summary>
    public required DateTimeOffset BuiltAt { get; init; }

    /// <summary>What it was built from: data uses and artifacts already recorded (at least one).</summary>
    public required IReadOnlyList<ArtifactInput> Inputs { get; init; }
}

/// <summary>A recorded artifact, as the proof log keeps it.</summary>
public sealed record ModelArtifact
{
    /// <summary>The id.</summary>
    public required string Id { get; init; }

    /// <summary>The version.</summary>
    public required string Version { get; init; }

    /// <summary>What it is.</summary>
    public required string Kind { get; init; }

    /// <summary>Who answers for it.</summary>
    public required string Owner { get; init; }

    /// <summary>When it was built.</summary>
    public required DateTimeOffset BuiltAt { get; init; }

    /// <summary>What it was built from.</summary>
    public required IReadOnlyList<ArtifactInput> Inputs { get; init; }

    /// <summary>The proof-log entry that records it.</summary>
    public required long LogSequence { get; init; }
}

/// <summary>Common artifact kinds (any other string is accepted too).</summary>
public static class ArtifactKinds
{
    /// <summary>A model trained from data (a base model).</summary>
    public const string Model = "model";

    /// <summary>A model fine-tuned from another.</summary>
    public const string FineTune = "fine-tune";

    /// <summary>A checkpoint of a training run.</summary>
    public const string Checkpoint = "checkpoint";

    /// <summary>An embedding or search index built from content.</summary>
    public const string EmbeddingIndex = "embedding-index";

    /// <summary>A model distilled from another.</summary>
    public const string DistilledModel = "distilled-model";

    /// <summary>A dataset derived from data uses or other artifacts.</summary>
    public const string DerivedDataset = "derived-dataset";
}

/// <summary>What happened to an artifact after it was built.</summary>
public enum ArtifactEventKind
{
    /// <summary>The artifact now serves a deployment (replacing whatever served it before).</summary>
    Deployed = 1,

    /// <summary>A deployment was taken down: nothing serves it any more.</summary>
    DeploymentRetired = 2,

    /// <summary>The artifact was retired: it will not be deployed or built on again.</summary>
    ArtifactRetired = 3,

    /// <summary>Someone answering for the artifact acknowledged its open obligations.</summary>
    ObligationsAcknowledged = 4,
}

/// <summary>One event in an artifact's life, as the proof log keeps it.</summary>
public sealed record ArtifactEvent
{
    /// <summary>What happened.</summary>
    public required ArtifactEventKind Kind { get; init; }

    /// <summary>The artifact (none for <see cref="ArtifactEventKind.DeploymentRetired"/>).</summary>
    public string? ArtifactId { get; init; }

    /// <summary>The deployment (for <see cref="ArtifactEventKind.Deployed"/> and <see cref="ArtifactEventKind.DeploymentRetired"/>).</summary>
    public string? DeploymentId { get; init; }

    /// <summary>When.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Who did it.</summary>
    public required string By { get; init; }

    /// <summary>Why, in words (may be empty).</summary>
    public string Note { get; init; } = string.Empty;

    /// <summary>The proof-log entry that records it.</summary>
    public required long LogSequence { get; init; }
}
