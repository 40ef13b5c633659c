using System.Text.Json;

namespace ConsentKit.OpenLineage;

/// <summary>
/// ConsentKit's custom OpenLineage run facet, <c>consentkit_consent</c>: the consent behind a data use or a build.
/// Its JSON schema is <c>docs/schemas/consentkit-run-facet-1-0-0.json</c>.
/// </summary>
public sealed record ConsentKitRunFacet
{
    /// <summary>The facet's key in <c>run.facets</c> (OpenLineage asks custom facets for a prefix).</summary>
    public const string Name = "consentkit_consent";

    /// <summary>The facet's <c>_schemaURL</c>: never changed for this version of its fields.</summary>
    public const string SchemaUrl = "https://consentkit.dev/schemas/consentkit-run-facet-1-0-0.json#/$defs/ConsentKitRunFacet";

    /// <summary>
    /// The purposes the data was used for: a data use's one purpose, or every purpose of the data uses a build
    /// took data from (directly or through other artifacts).
    /// </summary>
    public required IReadOnlyList<string> Purposes { get; init; }

    /// <summary>The data use, for a data-use run.</summary>
    public string? DataUseId { get; init; }

    /// <summary>The artifact, for a build run.</summary>
    public string? ArtifactId { get; init; }

    /// <summary>The artifact's version, for a recorded build.</summary>
    public string? ArtifactVersion { get; init; }

    /// <summary>The artifact's kind, for a recorded build.</summary>
    public string? ArtifactKind { get; init; }

    /// <summary>The proof-log entry that records the build (verify checks it).</summary>
    public long? ProofLogSequence { get; init; }

    /// <summary>The consent sequence the members were decided at, when they were decided from one snapshot.</summary>
    public long? SnapshotWatermark { get; init; }

    /// <summary>The snapshot file's content hash (SHA-256, hex), when the data use came from a snapshot file.</summary>
    public string? SnapshotContentSha256 { get; init; }

    /// <summary>How many people's data went in, once the data use ended.</summary>
    public long? SubjectsIncluded { get; init; }

    /// <summary>
    /// The consent records' chain head when the event was made (<c>consentkit-chain-head:v1:…</c>): keep it, and
    /// <c>consentkit verify --anchor</c> proves later that the history up to it was not rewritten.
    /// </summary>
    public required string ConsentChainHead { get; init; }

    /// <summary>Whether two facets say the same (the purposes compared by content).</summary>
    /// <param name="other">The other facet.</param>
    public bool Equals(ConsentKitRunFacet? other) =>
        other is not null && Purposes.SequenceEqual(other.Purposes) && DataUseId == other.DataUseId && ArtifactId == other.ArtifactId
        && ArtifactVersion == other.ArtifactVersion && ArtifactKind == other.ArtifactKind && ProofLogSequence == other.ProofLogSequence
        && SnapshotWatermark == other.SnapshotWatermark && SnapshotContentSha256 == other.SnapshotContentSha256
        && SubjectsIncluded == other.SubjectsIncluded && ConsentChainHead == other.ConsentChainHead;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DataUseId, ArtifactId, ConsentChainHead);

    internal void Write(Utf8JsonWriter w, Uri producer)
    {
        w.WriteStartObject();
        w.WriteString("_producer", producer.AbsoluteUri);
        w.WriteString("_schemaURL", SchemaUrl);
        w.WriteStartArray("purposes");
        foreach (var purpose in Purposes)
        {
            w.WriteStringValue(purpose);
        }

        w.WriteEndArray();
        WriteIfSet(w, "dataUseId", DataUseId);
        WriteIfSet(w, "artifactId", ArtifactId);
        WriteIfSet(w, "artifactVersion", ArtifactVersion);
        WriteIfSet(w, "artifactKind", ArtifactKind);
        WriteIfSet(w, "proofLogSequence", ProofLogSequence);
        WriteIfSet(w, "snapshotWatermark", SnapshotWatermark);
        WriteIfSet(w, "snapshotContentSha256", SnapshotContentSha256);
        WriteIfSet(w, "subjectsIncluded", SubjectsIncluded);
        w.WriteString("consentChainHead", ConsentChainHead);
        w.WriteEndObject();
    }

    internal static ConsentKitRunFacet Read(JsonElement facet) => new()
    {
        Purposes = facet.GetProperty("purposes").EnumerateArray().Select(p => p.GetString()!).ToList(),
        DataUseId = Text(facet, "dataUseId"),
        ArtifactId = Text(facet, "artifactId"),
        ArtifactVersion = Text(facet, "artifactVersion"),
        ArtifactKind = Text(facet, "artifactKind"),
        ProofLogSequence = Number(facet, "proofLogSequence"),
        SnapshotWatermark = Number(facet, "snapshotWatermark"),
        SnapshotContentSha256 = Text(facet, "snapshotContentSha256"),
        SubjectsIncluded = Number(facet, "subjectsIncluded"),
        ConsentChainHead = facet.GetProperty("consentChainHead").GetString()!,
    };

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteIfSet(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } number)
        {
            w.WriteNumber(name, number);
        }
    }

    private static string? Text(JsonElement facet, string name) => facet.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static long? Number(JsonElement facet, string name) => facet.TryGetProperty(name, out var value) ? value.GetInt64() : null;
}
