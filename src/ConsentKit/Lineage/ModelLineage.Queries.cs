namespace ConsentKit;

/// <summary>What <see cref="ModelLineage"/> answers: who an artifact holds, what it owes, how to rebuild it.</summary>
internal sealed partial class ModelLineage
{
    /// <summary>How many members are decided per gate call: bounds what one call holds.</summary>
    private const int DecisionBatch = 4096;

    public async ValueTask<IReadOnlyList<ArtifactHolding>> FindAffectedArtifactsAsync(ConsentRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Status == ConsentStatus.Granted)
        {
            return [];
        }

        return await HoldingsAsync(await GetGraphAsync(cancellationToken), record.SubjectId, await ledger.FindAffectedByAsync(record, cancellationToken), cancellationToken);
    }

    public async ValueTask<IReadOnlyList<ArtifactHolding>> FindArtifactsHoldingAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        return await HoldingsAsync(await GetGraphAsync(cancellationToken), subjectId, await ledger.FindBySubjectAsync(subjectId, null, cancellationToken), cancellationToken);
    }

    public async ValueTask<ArtifactObligations> GetObligationsAsync(string artifactId, CancellationToken cancellationToken = default) =>
        (await ComputeAsync(artifactId, cancellationToken)).Obligations;

    public async ValueTask<RebuildPlan> PlanRebuildAsync(string artifactId, CancellationToken cancellationToken = default)
    {
        var (obligations, leaveOut, graph) = await ComputeAsync(artifactId, cancellationToken);
        var uses = graph.DataUsesOf(artifactId);
        var inputs = new List<RebuildInput>();
        foreach (var useId in uses.Keys.Order(StringComparer.Ordinal))
        {
            var use = await ledger.GetAsync(useId, cancellationToken) ?? throw new ConsentStoreIntegrityException($"Data use '{useId}' is in the lineage but not on the ledger.", 0);
            inputs.Add(new RebuildInput { DataUse = use, Members = (int)use.SubjectCount, LeaveOut = leaveOut.TryGetValue(useId, out var people) ? [.. people.Order(StringComparer.Ordinal)] : [] });
        }

        // Everything between the data uses that lose someone and the artifact, in recording order (inputs first).
        var tainted = inputs.Where(i => i.LeaveOut.Count > 0).Select(i => i.DataUse.Id).ToHashSet(StringComparer.Ordinal);
        var ancestors = AncestorsOf(graph, artifactId);
        var rebuild = graph.Artifacts.Where(a => ancestors.Contains(a.Id) && graph.DataUsesOf(a.Id).Keys.Any(tainted.Contains)).ToList();
        return new RebuildPlan
        {
            Artifact = obligations.Artifact,
            Inputs = inputs,
            Rebuild = rebuild.Count > 0 ? rebuild : [obligations.Artifact],
            Deployments = obligations.Deployments,
            Watermark = await consentStore.GetLastSequenceAsync(cancellationToken),
            PlannedAt = time.GetUtcNow(),
        };
    }

    /// <summary>Every artifact built from <paramref name="uses"/>, with the shortest path, and what each owes the person.</summary>
    private async ValueTask<IReadOnlyList<ArtifactHolding>> HoldingsAsync(LineageGraph graph, string subjectId, IEnumerable<DataUse> uses, CancellationToken cancellationToken)
    {
        var holdings = new Dictionary<string, (ModelArtifact Artifact, DataUse Use, IReadOnlyList<string> Path)>(StringComparer.Ordinal);
        foreach (var use in uses)
        {
            foreach (var (artifact, path) in graph.BuiltFrom(use.Id))
            {
                if (!holdings.TryGetValue(artifact.Id, out var known) || known.Path.Count > path.Count)
                {
                    holdings[artifact.Id] = (artifact, use, path);
                }
            }
        }

        var now = time.GetUtcNow();
        var decisions = new Dictionary<string, ConsentDecision>(StringComparer.Ordinal);
        var result = new List<ArtifactHolding>();
        foreach (var (artifact, use, path) in holdings.Values.OrderBy(h => h.Artifact.LogSequence))
        {
            if (!decisions.TryGetValue(use.PurposeId, out var decision))
            {
                decisions[use.PurposeId] = decision = await gate.CheckAsync(subjectId, use.PurposeId, cancellationToken);
            }

            result.Add(new ArtifactHolding
            {
                Artifact = artifact,
                DataUseId = use.Id,
                Path = path,
                Deployments = graph.DeploymentsOf(artifact.Id),
                Obligation = IsOwed(decision) ? await ObligationAsync(graph, artifact, subjectId, decision, path, use.PurposeId, now, cancellationToken) : null,
            });
        }

        return result;
    }

    private async ValueTask<(ArtifactObligations Obligations, Dictionary<string, List<string>> LeaveOut, LineageGraph Graph)> ComputeAsync(
        string artifactId, CancellationToken cancellationToken, Dictionary<string, OwedInDataUse>? perDataUse = null)
    {
        var graph = await KnownArtifactAsync(artifactId, cancellationToken);
        var artifact = graph.Find(artifactId)!;
        var now = time.GetUtcNow();
        var owed = new Dictionary<string, (ConsentDecision Decision, DateTimeOffset? Since, IReadOnlyList<string> Path, string PurposeId)>(StringComparer.Ordinal);
        var leaveOut = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (useId, path) in graph.DataUsesOf(artifactId).OrderBy(u => u.Value.Count).ThenBy(u => u.Key, StringComparer.Ordinal))
        {
            if (perDataUse is null || !perDataUse.TryGetValue(useId, out var inUse))
            {
                inUse = await OwedInAsync(useId, cancellationToken);
                perDataUse?.Add(useId, inUse);
            }

            foreach (var (subject, decision) in inUse.People)
            {
                (leaveOut.TryGetValue(useId, out var list) ? list : leaveOut[useId] = []).Add(subject);
                var since = SinceOf(decision);
                if (!owed.TryGetValue(subject, out var known) || (since is not null && (known.Since is null || since < known.Since)))
                {
                    owed[subject] = (decision, since, path, inUse.PurposeId);
                }
            }
        }

        var people = new List<ArtifactObligation>();
        foreach (var (subject, (decision, _, path, purposeId)) in owed)
        {
            people.Add(await ObligationAsync(graph, artifact, subject, decision, path, purposeId, now, cancellationToken));
        }

        var obligations = new ArtifactObligations
        {
            Artifact = artifact,
            Deployments = graph.DeploymentsOf(artifactId),
            Serving = graph.IsServing(artifactId),
            People = [.. people.OrderBy(p => p.Since ?? DateTimeOffset.MaxValue).ThenBy(p => p.SubjectId, StringComparer.Ordinal)],
            AsOf = now,
        };
        return (obligations, leaveOut, graph);
    }

    public async ValueTask<IReadOnlyList<ArtifactObligations>> GetAllObligationsAsync(CancellationToken cancellationToken = default)
    {
        // One pass over each data use's members for all the artifacts built from it: a fine-tune costs no more
        // than its base model's lookup.
        var perDataUse = new Dictionary<string, OwedInDataUse>(StringComparer.Ordinal);
        var all = new List<ArtifactObligations>();
        foreach (var artifact in (await GetGraphAsync(cancellationToken)).Artifacts)
        {
            all.Add((await ComputeAsync(artifact.Id, cancellationToken, perDataUse)).Obligations);
        }

        return all;
    }

    /// <summary>The members of one data use whose consent no longer stands, as the gate decides now.</summary>
    private async ValueTask<OwedInDataUse> OwedInAsync(string useId, CancellationToken cancellationToken)
    {
        var use = await ledger.GetAsync(useId, cancellationToken) ?? throw new ConsentStoreIntegrityException($"Data use '{useId}' is in the lineage but not on the ledger.", 0);
        var members = await ledger.GetSubjectsAsync(useId, cancellationToken);
        var people = new List<(string, ConsentDecision)>();
        foreach (var batch in members.Select(m => m.SubjectId).Chunk(DecisionBatch))
        {
            // The gate decides, as for every other use: a person is owed when it would not let their data in now.
            var decisions = await gate.CheckManyAsync(batch, use.PurposeId, cancellationToken);
            foreach (var (subject, decision) in decisions)
            {
                if (decision.Reason == ConsentDecisionReason.StoreUnavailable)
                {
                    throw new ConsentStoreException($"The consent of the people in data use '{useId}' could not be read; no obligations are reported rather than too few.");
                }

                if (IsOwed(decision))
                {
                    people.Add((subject, decision));
                }
            }
        }

        return new OwedInDataUse(use.PurposeId, people);
    }

    /// <summary>One data use's purpose and the members it owes, shared by every artifact built from it in one report.</summary>
    private sealed record OwedInDataUse(string PurposeId, List<(string Subject, ConsentDecision Decision)> People);

    /// <summary>What <paramref name="artifact"/> owes one person whose consent no longer stands.</summary>
    private async ValueTask<ArtifactObligation> ObligationAsync(
        LineageGraph graph, ModelArtifact artifact, string subjectId, ConsentDecision decision, IReadOnlyList<string> path, string purposeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var since = SinceOf(decision);
        var policy = options.Value.PolicyFor(purposeId);
        var deadline = policy.DeadlineFor(since, artifact.BuiltAt);
        var resolution = await ResolutionAsync(graph, artifact.Id, subjectId, cancellationToken);
        var acknowledged = graph.Events.Where(e => e.Kind == ArtifactEventKind.ObligationsAcknowledged && e.ArtifactId == artifact.Id).Select(e => e.At).DefaultIfEmpty().Max();
        var status = resolution is not null ? ObligationStatus.Resolved
            : acknowledged != default && (since is null || acknowledged >= since) ? ObligationStatus.Acknowledged
            : ObligationStatus.Open;
        return new ArtifactObligation
        {
            SubjectId = subjectId,
            Reason = decision.Reason,
            Since = since,
            Path = path,
            Policy = policy,
            Deadline = deadline,
            Status = status,
            Resolution = resolution,
            Overdue = status != ObligationStatus.Resolved && deadline is { } d && now > d,
        };
    }

    /// <summary>
    /// Whether the artifact's debt to one person is paid, as the lineage shows (never declared): nothing built
    /// through it serves any more, and it was retired, or every deployment it served was taken down or handed
    /// to an artifact whose data uses (on the ledger) do not hold the person.
    /// </summary>
    private async ValueTask<string?> ResolutionAsync(LineageGraph graph, string artifactId, string subjectId, CancellationToken cancellationToken)
    {
        if (graph.IsServing(artifactId))
        {
            return null;
        }

        if (graph.RetiredAt(artifactId) is { } retired)
        {
            return $"retired on {retired:yyyy-MM-dd}";
        }

        var line = graph.LineOf(artifactId);
        var handovers = graph.Handovers.Where(h => line.Contains(h.From)).ToList();
        if (handovers.Count == 0)
        {
            return null;
        }

        HashSet<string>? usesOfSubject = null;
        foreach (var handover in handovers.Where(h => h.To is not null))
        {
            usesOfSubject ??= [.. (await ledger.FindBySubjectAsync(subjectId, null, cancellationToken)).Select(u => u.Id)];
            if (graph.DataUsesOf(handover.To!).Keys.Any(usesOfSubject.Contains))
            {
                return null;
            }
        }

        var last = handovers[^1];
        return last.To is { } to
            ? $"'{last.DeploymentId}' now served by '{to}', built without them, since {last.At:yyyy-MM-dd}"
            : $"'{last.DeploymentId}' taken down on {last.At:yyyy-MM-dd}";
    }

    private static bool IsOwed(ConsentDecision decision) => decision.Reason is
        ConsentDecisionReason.Withdrawn or ConsentDecisionReason.Refused or ConsentDecisionReason.Expired
        or ConsentDecisionReason.NoRecord or ConsentDecisionReason.UnknownPurpose;

    private DateTimeOffset? SinceOf(ConsentDecision decision) => decision.Reason switch
    {
        ConsentDecisionReason.Withdrawn or ConsentDecisionReason.Refused => decision.Record?.RecordedAt,
        ConsentDecisionReason.Expired when decision.Record is { } grant => catalog.ExpiryOf(grant),
        _ => null,
    };

    private static HashSet<string> AncestorsOf(LineageGraph graph, string artifactId)
    {
        var ancestors = new HashSet<string>(StringComparer.Ordinal) { artifactId };
        var queue = new Queue<string>([artifactId]);
        while (queue.TryDequeue(out var next))
        {
            foreach (var input in graph.Find(next)!.Inputs.Where(i => i.Kind == ArtifactInputKind.Artifact))
            {
                if (ancestors.Add(input.Id))
                {
                    queue.Enqueue(input.Id);
                }
            }
        }

        return ancestors;
    }
}
