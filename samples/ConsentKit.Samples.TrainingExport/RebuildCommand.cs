using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Samples.TrainingExport;

/// <summary>
/// <c>rebuild</c>: a model rebuilt from its plan. The training set is taken again through the gate (which leaves
/// out everyone who withdrew), the new model is recorded from it and takes the old one's deployments, and the old
/// model's obligations are then resolved by what the lineage shows.
/// </summary>
internal static class RebuildCommand
{
    /// <param name="people">The members the job's posts come from (as exported).</param>
    /// <param name="postsPerPerson">Posts per member (as exported).</param>
    public static async Task<int> RunAsync(string databasePath, string modelId, string newModelId, string outputPath, int people, int postsPerPerson, TextWriter output, CancellationToken cancellationToken)
    {
        await using var provider = TrainingExportJob.Services(databasePath, output);
        var lineage = provider.GetRequiredService<IModelLineage>();
        RebuildPlan plan;
        try
        {
            plan = await lineage.PlanRebuildAsync(modelId, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            output.WriteLine(ex.Message);
            return 2;
        }

        output.WriteLine($"Rebuild plan for {modelId} (watermark: consent record #{plan.Watermark}):");
        foreach (var input in plan.Inputs)
        {
            output.WriteLine($"  {input.DataUse.Id}: {input.Members:N0} members, {input.LeaveOut.Count:N0} to leave out ({string.Join(", ", input.LeaveOut)})");
        }

        // The plan's inputs are this job's training sets: taking the job again takes them again, through the gate.
        var settings = new TrainingExportSettings(databasePath, outputPath, people, postsPerPerson, RecordDataUse: true);
        var (report, _) = await TrainingExportJob.ExportAsync(provider, settings, output, cancellationToken);
        var rebuilt = await lineage.RecordArtifactAsync(
            new NewArtifact
            {
                Id = newModelId,
                Version = "2",
                Kind = ArtifactKinds.Model,
                Owner = "data-team",
                BuiltAt = DateTimeOffset.UtcNow,
                Inputs = [ArtifactInput.FromDataUse(report.DataUse!.Id)],
            },
            cancellationToken);
        foreach (var deployment in plan.Deployments)
        {
            await lineage.DeployAsync(deployment, rebuilt.Id, "data-team", cancellationToken);
            output.WriteLine($"{rebuilt.Id} now serves {deployment}.");
        }

        var left = await lineage.GetObligationsAsync(modelId, cancellationToken);
        output.WriteLine($"{modelId} now owes {left.Owed} of {left.People.Count}{(left.People.FirstOrDefault()?.Resolution is { } how ? $" (resolved: {how})" : string.Empty)}.");
        return 0;
    }
}
