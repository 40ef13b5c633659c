using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Cli;

/// <summary>
/// <c>lineage</c>, <c>obligations</c>, <c>rebuild-plan</c>, <c>record-artifact</c> and <c>deploy</c>: model lineage
/// from the command line, decided with the purposes the store keeps notices for (as the app registered them).
/// </summary>
internal static class LineageCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static Task<int> LineageAsync(StoreSettings store, string? subject, bool json, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, error, ct, async lineage =>
        {
            var graph = await lineage.GetGraphAsync(ct);
            if (subject is not null)
            {
                var holdings = await lineage.FindArtifactsHoldingAsync(subject, ct);
                await output.WriteLineAsync(json ? JsonSerializer.Serialize(holdings, Json) : Table(
                    ["artifact", "kind", "path", "deployed"],
                    holdings.Select(h => new[] { h.Artifact.Id, h.Artifact.Kind, h.ToString(), string.Join(", ", h.Deployments) })));
                return ExitCodes.Ok;
            }

            await output.WriteLineAsync(json
                ? JsonSerializer.Serialize(new { artifacts = graph.Artifacts, deployments = graph.Deployments, events = graph.Events }, Json)
                : Table(
                    ["artifact", "version", "kind", "owner", "built", "inputs", "deployed"],
                    graph.Artifacts.Select(a => new[]
                    {
                        a.Id, a.Version, a.Kind, a.Owner, a.BuiltAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                        string.Join(", ", a.Inputs.Select(i => i.ToString())),
                        graph.RetiredAt(a.Id) is { } retired ? $"retired {retired:yyyy-MM-dd}" : string.Join(", ", graph.DeploymentsOf(a.Id)),
                    })));
            return ExitCodes.Ok;
        });

    public static Task<int> ObligationsAsync(StoreSettings store, string? artifactId, bool json, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, error, ct, async lineage =>
        {
            IReadOnlyList<ArtifactObligations> all = artifactId is null ? await lineage.GetAllObligationsAsync(ct) : [await lineage.GetObligationsAsync(artifactId, ct)];

            if (json)
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(all.Select(o => new { artifact = o.Artifact.Id, o.Deployments, o.Serving, owed = o.Owed, overdue = o.Overdue, o.NextDeadline, o.People }), Json));
            }
            else if (artifactId is null)
            {
                await output.WriteLineAsync(Table(
                    ["artifact", "deployed", "owed", "overdue", "next deadline"],
                    all.Select(o => new[] { o.Artifact.Id, string.Join(", ", o.Deployments), $"{o.Owed}", $"{o.Overdue}", o.NextDeadline?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-" })));
            }
            else
            {
                await output.WriteLineAsync(Table(
                    ["person", "reason", "since", "path", "owed", "deadline", "status"],
                    all[0].People.Select(p => new[]
                    {
                        p.SubjectId, ConsentVocabulary.NameOf(p.Reason), p.Since?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-", string.Join(" → ", p.Path),
                        p.Policy.Owed, p.Deadline?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-",
                        p.Overdue ? "OVERDUE" : p.Status == ObligationStatus.Resolved ? $"resolved: {p.Resolution}" : p.Status.ToString().ToLowerInvariant(),
                    })));
            }

            var overdue = all.Sum(o => o.Overdue);
            if (overdue > 0)
            {
                await error.WriteLineAsync($"{overdue} obligation(s) past their deadline.");
            }

            return overdue > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        });

    public static Task<int> RebuildPlanAsync(StoreSettings store, string artifactId, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, error, ct, async lineage =>
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(await lineage.PlanRebuildAsync(artifactId, ct), Json));
            return ExitCodes.Ok;
        });

    /// <param name="artifact">Makes the artifact from the options: a malformed <c>--input</c> is bad input too.</param>
    public static Task<int> RecordArtifactAsync(StoreSettings store, Func<NewArtifact> artifact, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, error, ct, async lineage =>
        {
            var recorded = await lineage.RecordArtifactAsync(artifact(), ct);
            await output.WriteLineAsync($"Recorded artifact {recorded.Id} (proof log #{recorded.LogSequence}), built from {string.Join(", ", recorded.Inputs)}.");
            return ExitCodes.Ok;
        });

    public static Task<int> DeployAsync(StoreSettings store, string deploymentId, string artifactId, string by, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, error, ct, async lineage =>
        {
            var deployed = await lineage.DeployAsync(deploymentId, artifactId, by, ct);
            await output.WriteLineAsync($"{artifactId} now serves {deploymentId} (proof log #{deployed.LogSequence}).");
            return ExitCodes.Ok;
        });

    /// <summary>An input as given on the command line: <c>data-use:ID</c> or <c>artifact:ID</c>.</summary>
    public static ArtifactInput ParseInput(string text) => text.Split(':', 2) switch
    {
        ["data-use", var id] => ArtifactInput.FromDataUse(id),
        ["artifact", var id] => ArtifactInput.FromArtifact(id),
        _ => throw new ArgumentException($"--input '{text}' is not data-use:<id> or artifact:<id>.", "--input"),
    };

    private static Task<int> RunAsync(StoreSettings store, TextWriter error, CancellationToken ct, Func<IModelLineage, Task<int>> command) =>
        ExitCodes.GuardAsync(store, error, async () =>
        {
            await using var services = await Services.BuildWithStorePurposesAsync(store, ct);
            return await command(services.GetRequiredService<IModelLineage>());
        });

    internal static string Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        return string.Join(Environment.NewLine, all.Select(r => string.Join("  ", r.Select((cell, i) => i == r.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd()));
    }
}
