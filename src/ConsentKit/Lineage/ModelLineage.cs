using ConsentKit.Storage;
using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>
/// The default <see cref="IModelLineage"/>: checks each artifact and event, writes it to the store's proof
/// log, and answers from a graph read from the log (only what was appended since the last read, each entry
/// checked against its hash). Who is owed is decided by the gate, like every other use of consent.
/// </summary>
internal sealed partial class ModelLineage(
    ILineageStore store,
    IDataUseLedger ledger,
    IConsentStore consentStore,
    IConsentGate gate,
    ConsentPurposeCatalog catalog,
    IOptions<ModelLineageOptions> options,
    TimeProvider time,
    OpenLineage.OpenLineageEmitter? openLineage = null) : IModelLineage
{
    private const int PageSize = 1024;

    /// <summary>How far ahead of this clock a build time may be (clocks differ between machines).</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private LineageGraph _graph = new();

    public async ValueTask<ModelArtifact> RecordArtifactAsync(NewArtifact artifact, CancellationToken cancellationToken = default)
    {
        LineageLog.Validate(artifact);
        if (artifact.BuiltAt > time.GetUtcNow() + ClockSkew)
        {
            throw new ArgumentException($"Artifact '{artifact.Id}' says it was built at {artifact.BuiltAt:O}, in the future.", "artifact.BuiltAt");
        }

        var graph = await GetGraphAsync(cancellationToken);
        if (graph.Find(artifact.Id) is not null)
        {
            throw LineageStoreRules.Taken(artifact.Id);
        }

        foreach (var input in artifact.Inputs)
        {
            var (exists, inputTime) = input.Kind == ArtifactInputKind.DataUse
                ? await ledger.GetAsync(input.Id, cancellationToken) is { } use ? (true, use.StartedAt) : (false, default)
                : graph.Find(input.Id) is { } built ? (true, built.BuiltAt) : (false, default);
            if (!exists)
            {
                throw new ArgumentException($"Artifact '{artifact.Id}' names {input}, which is not recorded: record inputs first (lineage has no cycles).", "artifact.Inputs");
            }

            if (input.Kind == ArtifactInputKind.Artifact && graph.RetiredAt(input.Id) is { } retired)
            {
                throw new ArgumentException($"Artifact '{input.Id}' was retired on {retired:O}: nothing is built on it any more.", "artifact.Inputs");
            }

            if (artifact.BuiltAt < inputTime)
            {
                throw new ArgumentException($"Artifact '{artifact.Id}' says it was built at {artifact.BuiltAt:O}, before its input {input} ({inputTime:O}).", "artifact.BuiltAt");
            }
        }

        var entry = await store.AppendLineageAsync(ConsentProofEntryKind.ArtifactRecorded, artifact.Id, LineageLog.ArtifactPayload(artifact), cancellationToken);
        var recorded = LineageLog.ReadArtifact(entry);
        if (openLineage is not null)
        {
            await openLineage.ArtifactBuiltAsync(recorded, await PurposesOfAsync(artifact.Inputs, graph, cancellationToken), cancellationToken);
        }

        return recorded;
    }

    /// <summary>The purposes of every data use behind these inputs, at any depth.</summary>
    private async ValueTask<IReadOnlyList<string>> PurposesOfAsync(IReadOnlyList<ArtifactInput> inputs, LineageGraph graph, CancellationToken cancellationToken)
    {
        var dataUses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (input.Kind == ArtifactInputKind.DataUse)
            {
                dataUses.Add(input.Id);
            }
            else
            {
                dataUses.UnionWith(graph.DataUsesOf(input.Id).Keys);
            }
        }

        var purposes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var id in dataUses)
        {
            if (await ledger.GetAsync(id, cancellationToken) is { } use)
            {
                purposes.Add(use.PurposeId);
            }
        }

        return [.. purposes];
    }

    public async ValueTask<ArtifactEvent> DeployAsync(string deploymentId, string artifactId, string by, CancellationToken cancellationToken = default)
    {
        LineageLog.CheckId(deploymentId, nameof(deploymentId));
        var graph = await KnownArtifactAsync(artifactId, cancellationToken);
        LineageLog.CheckName(by, nameof(by));
        if (graph.RetiredAt(artifactId) is { } retired)
        {
            throw new ArgumentException($"Artifact '{artifactId}' was retired on {retired:O}: it is not deployed again.", nameof(artifactId));
        }

        if (graph.Deployments.TryGetValue(deploymentId, out var serving) && serving == artifactId)
        {
            throw new ArgumentException($"Artifact '{artifactId}' already serves deployment '{deploymentId}'; nothing was recorded.", nameof(artifactId));
        }

        return await AppendEventAsync(ArtifactEventKind.Deployed, artifactId, deploymentId, by, string.Empty, cancellationToken);
    }

    public async ValueTask<ArtifactEvent> RetireDeploymentAsync(string deploymentId, string by, CancellationToken cancellationToken = default)
    {
        LineageLog.CheckId(deploymentId, nameof(deploymentId));
        LineageLog.CheckName(by, nameof(by));
        var graph = await GetGraphAsync(cancellationToken);
        if (!graph.Deployments.TryGetValue(deploymentId, out var serving))
        {
            throw new ArgumentException($"Nothing serves deployment '{deploymentId}'; nothing was recorded.", nameof(deploymentId));
        }

        return await AppendEventAsync(ArtifactEventKind.DeploymentRetired, serving, deploymentId, by, string.Empty, cancellationToken);
    }

    public async ValueTask<ArtifactEvent> RetireArtifactAsync(string artifactId, string by, string? note = null, CancellationToken cancellationToken = default)
    {
        var graph = await KnownArtifactAsync(artifactId, cancellationToken);
        LineageLog.CheckName(by, nameof(by));
        LineageLog.CheckNote(note, nameof(note));
        if (graph.RetiredAt(artifactId) is { } retired)
        {
            throw new ArgumentException($"Artifact '{artifactId}' was retired on {retired:O} already; nothing was recorded.", nameof(artifactId));
        }

        return await AppendEventAsync(ArtifactEventKind.ArtifactRetired, artifactId, null, by, note ?? string.Empty, cancellationToken);
    }

    public async ValueTask<ArtifactEvent> AcknowledgeObligationsAsync(string artifactId, string by, string? note = null, CancellationToken cancellationToken = default)
    {
        await KnownArtifactAsync(artifactId, cancellationToken);
        LineageLog.CheckName(by, nameof(by));
        LineageLog.CheckNote(note, nameof(note));
        return await AppendEventAsync(ArtifactEventKind.ObligationsAcknowledged, artifactId, null, by, note ?? string.Empty, cancellationToken);
    }

    public async ValueTask<LineageGraph> GetGraphAsync(CancellationToken cancellationToken = default)
    {
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            // Only what was appended since the last read (by any instance); the graph handed out before stays as it was.
            LineageGraph? next = null;
            while (true)
            {
                var page = await store.GetLineageAsync((next ?? _graph).LogSequence, PageSize, cancellationToken);
                foreach (var entry in page)
                {
                    next ??= _graph.Copy();
                    Apply(next, entry);
                }

                if (page.Count < PageSize)
                {
                    break;
                }
            }

            return _graph = next ?? _graph;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private static void Apply(LineageGraph graph, ConsentProofEntry entry)
    {
        if (!ConsentProofLog.HasValidHash(entry))
        {
            throw new ConsentStoreIntegrityException($"Proof log entry {entry.Sequence} does not match its hash: the lineage was changed outside ConsentKit, and is not read.", entry.Sequence);
        }

        try
        {
            graph.Apply(entry);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or System.Text.DecoderFallbackException)
        {
            throw new ConsentStoreIntegrityException($"Proof log entry {entry.Sequence} is not a well-formed {entry.Kind} entry.", entry.Sequence);
        }
    }

    private async ValueTask<LineageGraph> KnownArtifactAsync(string artifactId, CancellationToken cancellationToken)
    {
        LineageLog.CheckId(artifactId, nameof(artifactId));
        var graph = await GetGraphAsync(cancellationToken);
        return graph.Find(artifactId) is null
            ? throw new ArgumentException($"No artifact '{artifactId}' is recorded.", nameof(artifactId))
            : graph;
    }

    private async ValueTask<ArtifactEvent> AppendEventAsync(ArtifactEventKind kind, string? artifactId, string? deploymentId, string by, string note, CancellationToken cancellationToken)
    {
        var payload = LineageLog.EventPayload(kind, artifactId, deploymentId, time.GetUtcNow(), by, note);
        var entry = await store.AppendLineageAsync(ConsentProofEntryKind.ArtifactEvent, artifactId, payload, cancellationToken);
        return LineageLog.ReadEvent(entry);
    }
}
