using System.Globalization;

namespace ConsentKit.Samples.WebApp.Demo;

/// <summary>
/// The data team's models: each trained from a training set, deployed to the assistant, and rebuilt without
/// the people who withdrew when the lineage says it owes them.
/// </summary>
public sealed class Models(IModelLineage lineage, TrainingSets sets, IConsentReader reader, TimeProvider time)
{
    /// <summary>Where the demo's assistant is served.</summary>
    public const string Production = "assistant-production";

    /// <summary>Trains a model on the newest completed training set (recorded in the lineage).</summary>
    /// <returns>The model, or <see langword="null"/> when there is no training set yet.</returns>
    public async Task<ModelArtifact?> TrainAsync(CancellationToken cancellationToken)
    {
        var set = (await reader.ListDataUsesAsync(50, cancellationToken)).FirstOrDefault(u => u.Status == DataUseStatus.Completed);
        return set is null ? null : await RecordAsync(set.Id, cancellationToken);
    }

    /// <summary>Serves <paramref name="artifactId"/> in production.</summary>
    public async Task DeployAsync(string artifactId, CancellationToken cancellationToken) =>
        await lineage.DeployAsync(Production, artifactId, "data-team", cancellationToken);

    /// <summary>
    /// The rebuild plan, carried out: the training set taken again through the gate (which leaves out everyone
    /// who withdrew), a new model trained on it, and the old model's deployments handed to the new one.
    /// </summary>
    public async Task<(ModelArtifact Model, RebuildPlan Plan)> RebuildAsync(string artifactId, CancellationToken cancellationToken)
    {
        var plan = await lineage.PlanRebuildAsync(artifactId, cancellationToken);
        var report = await sets.BuildAsync(cancellationToken);
        var model = await RecordAsync(report.DataUse!.Id, cancellationToken);
        foreach (var deployment in plan.Deployments)
        {
            await lineage.DeployAsync(deployment, model.Id, "data-team", cancellationToken);
        }

        return (model, plan);
    }

    private async Task<ModelArtifact> RecordAsync(string dataUseId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await lineage.RecordArtifactAsync(
            new NewArtifact
            {
                Id = $"assistant-{now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..4]}",
                Version = now.ToString("yyyy.MM.dd", CultureInfo.InvariantCulture),
                Kind = ArtifactKinds.Model,
                Owner = "data-team",
                BuiltAt = now,
                Inputs = [ArtifactInput.FromDataUse(dataUseId)],
            },
            cancellationToken);
    }
}
