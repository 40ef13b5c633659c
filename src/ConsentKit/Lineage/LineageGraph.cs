namespace ConsentKit;

/// <summary>A deployment handed from one artifact to another (or to none, when it was retired).</summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="From">The artifact that served it.</param>
/// <param name="To">The artifact that serves it now; <see langword="null"/> when the deployment was retired or the artifact was.</param>
/// <param name="At">When.</param>
public sealed record DeploymentHandover(string DeploymentId, string From, string? To, DateTimeOffset At);

/// <summary>
/// The lineage as the proof log tells it, at one point: artifacts and what each was built from (a graph
/// without cycles: an artifact can only name inputs recorded before it), the deployments each serves,
/// and every event. Immutable; <see cref="IModelLineage.GetGraphAsync"/> gives the current one.
/// </summary>
public sealed class LineageGraph
{
    private readonly Dictionary<string, ModelArtifact> _artifacts = new(StringComparer.Ordinal);
    private readonly List<ModelArtifact> _order = [];
    private readonly Dictionary<string, List<string>> _builtFromArtifact = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _builtFromDataUse = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _deployments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _retired = new(StringComparer.Ordinal);
    private readonly List<DeploymentHandover> _handovers = [];
    private readonly List<ArtifactEvent> _events = [];

    internal LineageGraph()
    {
    }

    /// <summary>The last proof-log sequence this graph has read.</summary>
    public long LogSequence { get; private set; }

    /// <summary>Every artifact, in the order recorded.</summary>
    public IReadOnlyList<ModelArtifact> Artifacts => _order;

    /// <summary>Every event, in the order recorded.</summary>
    public IReadOnlyList<ArtifactEvent> Events => _events;

    /// <summary>Which artifact serves each deployment now.</summary>
    public IReadOnlyDictionary<string, string> Deployments => _deployments;

    /// <summary>Every time a deployment changed hands or was taken down, in order.</summary>
    public IReadOnlyList<DeploymentHandover> Handovers => _handovers;

    /// <summary>An artifact by id, or <see langword="null"/>.</summary>
    /// <param name="artifactId">The id.</param>
    public ModelArtifact? Find(string artifactId) => _artifacts.GetValueOrDefault(artifactId);

    /// <summary>When the artifact was retired, or <see langword="null"/>.</summary>
    /// <param name="artifactId">The id.</param>
    public DateTimeOffset? RetiredAt(string artifactId) => _retired.TryGetValue(artifactId, out var at) ? at : null;

    /// <summary>The deployments the artifact serves now.</summary>
    /// <param name="artifactId">The id.</param>
    public IReadOnlyList<string> DeploymentsOf(string artifactId) => [.. _deployments.Where(d => d.Value == artifactId).Select(d => d.Key).Order(StringComparer.Ordinal)];

    /// <summary>The artifacts built (directly) from a data use.</summary>
    /// <param name="dataUseId">The data use.</param>
    public IReadOnlyList<ModelArtifact> BuiltFromDataUse(string dataUseId) =>
        _builtFromDataUse.TryGetValue(dataUseId, out var ids) ? [.. ids.Select(id => _artifacts[id])] : [];

    /// <summary>The artifacts built (directly) from an artifact.</summary>
    /// <param name="artifactId">The artifact.</param>
    public IReadOnlyList<ModelArtifact> BuiltFromArtifact(string artifactId) =>
        _builtFromArtifact.TryGetValue(artifactId, out var ids) ? [.. ids.Select(id => _artifacts[id])] : [];

    /// <summary>The artifact and everything built from it, at any depth.</summary>
    /// <param name="artifactId">The artifact.</param>
    public IReadOnlySet<string> LineOf(string artifactId)
    {
        var line = new HashSet<string>(StringComparer.Ordinal) { artifactId };
        var queue = new Queue<string>([artifactId]);
        while (queue.TryDequeue(out var next))
        {
            foreach (var child in _builtFromArtifact.GetValueOrDefault(next) ?? [])
            {
                if (line.Add(child))
                {
                    queue.Enqueue(child);
                }
            }
        }

        return line;
    }

    /// <summary>Whether the artifact, or anything built from it, serves a deployment now.</summary>
    /// <param name="artifactId">The artifact.</param>
    public bool IsServing(string artifactId)
    {
        var line = LineOf(artifactId);
        return _deployments.Values.Any(line.Contains);
    }

    /// <summary>
    /// Every data use the artifact was built from, at any depth, each with a path of ids from the data use
    /// to the artifact (the shortest, e.g. <c>set-1 → base-model → fine-tune</c>).
    /// </summary>
    /// <param name="artifactId">The artifact.</param>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> DataUsesOf(string artifactId)
    {
        var paths = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (!_artifacts.ContainsKey(artifactId))
        {
            return paths;
        }

        // Breadth first from the artifact towards its inputs; towards[x] is the next step from x back to the artifact.
        var towards = new Dictionary<string, string?>(StringComparer.Ordinal) { [artifactId] = null };
        var queue = new Queue<string>([artifactId]);
        while (queue.TryDequeue(out var next))
        {
            foreach (var input in _artifacts[next].Inputs)
            {
                if (input.Kind == ArtifactInputKind.DataUse)
                {
                    if (!paths.ContainsKey(input.Id))
                    {
                        var path = new List<string> { input.Id };
                        for (string? step = next; step is not null; step = towards[step])
                        {
                            path.Add(step);
                        }

                        paths[input.Id] = path;
                    }
                }
                else if (towards.TryAdd(input.Id, next))
                {
                    queue.Enqueue(input.Id);
                }
            }
        }

        return paths;
    }

    /// <summary>
    /// The artifacts built from a data use at any depth, each with the shortest path of ids from the data use
    /// to it, in the order reached.
    /// </summary>
    /// <param name="dataUseId">The data use.</param>
    public IReadOnlyList<(ModelArtifact Artifact, IReadOnlyList<string> Path)> BuiltFrom(string dataUseId)
    {
        var reached = new List<(ModelArtifact, IReadOnlyList<string>)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<(string Id, List<string> Path)>();
        foreach (var id in _builtFromDataUse.GetValueOrDefault(dataUseId) ?? [])
        {
            queue.Enqueue((id, [dataUseId, id]));
        }

        while (queue.TryDequeue(out var next))
        {
            if (!seen.Add(next.Id))
            {
                continue;
            }

            reached.Add((_artifacts[next.Id], next.Path));
            foreach (var child in _builtFromArtifact.GetValueOrDefault(next.Id) ?? [])
            {
                queue.Enqueue((child, [.. next.Path, child]));
            }
        }

        return reached;
    }

    /// <summary>Applies one lineage entry of the proof log (in order).</summary>
    internal void Apply(ConsentProofEntry entry)
    {
        if (entry.Kind == ConsentProofEntryKind.ArtifactRecorded)
        {
            var artifact = LineageLog.ReadArtifact(entry);
            if (_artifacts.TryAdd(artifact.Id, artifact))
            {
                _order.Add(artifact);
                foreach (var input in artifact.Inputs)
                {
                    var index = input.Kind == ArtifactInputKind.DataUse ? _builtFromDataUse : _builtFromArtifact;
                    (index.TryGetValue(input.Id, out var list) ? list : index[input.Id] = []).Add(artifact.Id);
                }
            }
        }
        else if (entry.Kind == ConsentProofEntryKind.ArtifactEvent)
        {
            var artifactEvent = LineageLog.ReadEvent(entry);
            _events.Add(artifactEvent);
            switch (artifactEvent.Kind)
            {
                case ArtifactEventKind.Deployed when artifactEvent.DeploymentId is { } deployment && artifactEvent.ArtifactId is { } artifact:
                    if (_deployments.TryGetValue(deployment, out var before) && before != artifact)
                    {
                        _handovers.Add(new DeploymentHandover(deployment, before, artifact, artifactEvent.At));
                    }

                    _deployments[deployment] = artifact;
                    break;
                case ArtifactEventKind.DeploymentRetired when artifactEvent.DeploymentId is { } deployment:
                    if (_deployments.Remove(deployment, out var served))
                    {
                        _handovers.Add(new DeploymentHandover(deployment, served, null, artifactEvent.At));
                    }

                    break;
                case ArtifactEventKind.ArtifactRetired when artifactEvent.ArtifactId is { } artifact:
                    _retired.TryAdd(artifact, artifactEvent.At);
                    foreach (var deployment in DeploymentsOf(artifact))
                    {
                        _deployments.Remove(deployment);
                        _handovers.Add(new DeploymentHandover(deployment, artifact, null, artifactEvent.At));
                    }

                    break;
            }
        }

        LogSequence = Math.Max(LogSequence, entry.Sequence);
    }

    /// <summary>A copy to apply newer entries to, leaving this one as it is for whoever holds it.</summary>
    internal LineageGraph Copy()
    {
        var copy = new LineageGraph { LogSequence = LogSequence };
        foreach (var (key, value) in _artifacts)
        {
            copy._artifacts[key] = value;
        }

        copy._order.AddRange(_order);
        foreach (var (key, value) in _builtFromArtifact)
        {
            copy._builtFromArtifact[key] = [.. value];
        }

        foreach (var (key, value) in _builtFromDataUse)
        {
            copy._builtFromDataUse[key] = [.. value];
        }

        foreach (var (key, value) in _deployments)
        {
            copy._deployments[key] = value;
        }

        foreach (var (key, value) in _retired)
        {
            copy._retired[key] = value;
        }

        copy._handovers.AddRange(_handovers);
        copy._events.AddRange(_events);
        return copy;
    }
}
