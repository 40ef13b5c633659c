using System.Globalization;
using System.Text.Json;
using ConsentKit.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Samples.TrainingExport;

/// <summary>What one export run does.</summary>
/// <param name="ModelId">When set, a model trained on the new set is recorded in the lineage under this id and deployed.</param>
internal sealed record TrainingExportSettings(string DatabasePath, string OutputPath, int People, int PostsPerPerson, bool RecordDataUse, string? ModelId = null);

/// <summary>The export job: seed if new, filter by consent, write JSONL, record the run, show a withdrawal's impact.</summary>
internal static class TrainingExportJob
{
    private const string Purpose = ConsentPurposes.GenerativeAiTraining;

    /// <summary>Where the demo's model is served.</summary>
    public const string Deployment = "assistant-production";

    /// <summary>ConsentKit as the job uses it: the two purposes, the SQLite file, the impact printout.</summary>
    public static ServiceProvider Services(string databasePath, TextWriter output)
    {
        var services = new ServiceCollection();
        services.AddSingleton(output);
        services.AddConsentKit()
            .AddPurpose(ConsentPurposes.AiTraining, "Data for AI training", "Use my profile and posts to train AI models.", DemoData.CurrentNotice)
            .AddPurpose(Purpose, "Data for Generative AI improvement", "Use my data for training content-creation AI models.", DemoData.CurrentNotice, lifetime: DemoData.Lifetime)
            .UseSqliteStore($"Data Source={databasePath}")
            .AddWithdrawalImpactHandler<PrintImpactHandler>();
        return services.BuildServiceProvider();
    }

    public static async Task<int> RunAsync(TrainingExportSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        await using var provider = Services(settings.DatabasePath, output);
        var store = provider.GetRequiredService<SqliteConsentStore>();
        await store.InitializeAsync(cancellationToken);

        output.WriteLine($"ConsentKit training export: purpose {Purpose}, notice version {DemoData.CurrentNotice}");
        output.WriteLine($"Database: {store.Location}");
        if ((await store.GetHistoryAsync(DemoData.PersonId(0), cancellationToken)).Count == 0)
        {
            var history = DemoData.History(settings.People, DateTimeOffset.UtcNow).ToList();
            foreach (var chunk in history.Chunk(5_000))
            {
                await store.AppendManyAsync(chunk, cancellationToken);
            }

            output.WriteLine($"Seeded {settings.People:N0} members with {history.Count:N0} consent records (granted, refused, withdrawn, never set, expired, outdated notice).");
        }

        var (report, firstKeptAuthor) = await ExportAsync(provider, settings, output, cancellationToken);
        if (settings.ModelId is { } modelId && report.DataUse is { } trainedOn)
        {
            var lineage = provider.GetRequiredService<IModelLineage>();
            await lineage.RecordArtifactAsync(
                new NewArtifact { Id = modelId, Version = "1", Kind = ArtifactKinds.Model, Owner = "data-team", BuiltAt = DateTimeOffset.UtcNow, Inputs = [ArtifactInput.FromDataUse(trainedOn.Id)] },
                cancellationToken);
            await lineage.DeployAsync(Deployment, modelId, "data-team", cancellationToken);
            output.WriteLine($"Trained model {modelId} on {trainedOn.Id}; it serves {Deployment}.");
        }

        if (firstKeptAuthor is not null)
        {
            output.WriteLine($"Withdrawal: {firstKeptAuthor} switches \"Data for Generative AI improvement\" off.");
            var withdrawal = await provider.GetRequiredService<IConsentRecorder>().WithdrawAsync(
                firstKeptAuthor, Purpose, ConsentEvidence.FromUserInterface(DemoData.CurrentNotice, "settings-page"), cancellationToken);
            output.WriteLine($"  Recorded as consent record #{withdrawal.Sequence}.");
            var affected = await provider.GetRequiredService<IConsentReader>().FindAffectedDataUsesAsync(withdrawal, cancellationToken);
            if (affected.Count == 0)
            {
                output.WriteLine("  No training set holds their data.");
            }

            foreach (var holding in await provider.GetRequiredService<IModelLineage>().FindAffectedArtifactsAsync(withdrawal, cancellationToken))
            {
                output.WriteLine($"  Model {holding.Artifact.Id} holds their data ({holding}): {holding.Obligation?.Policy.Owed} Deadline {holding.Obligation?.Deadline:yyyy-MM-dd}.");
            }

            var gate = provider.GetRequiredService<IConsentGate>();
            output.WriteLine($"  The gate now says: {(await gate.CheckAsync(firstKeptAuthor, Purpose, cancellationToken)).Reason}; the next export leaves their posts out.");
        }

        return 0;
    }

    /// <summary>The export itself: posts through the gate into the JSONL file, the run on the ledger, the report printed.</summary>
    public static async Task<(ConsentFilterReport Report, string? FirstKeptAuthor)> ExportAsync(IServiceProvider provider, TrainingExportSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var filter = provider.GetRequiredService<ConsentFilter>();
        var startedAt = DateTimeOffset.UtcNow;
        var run = DemoData.Posts(settings.People, settings.PostsPerPerson).WhereConsented(
            filter, post => post.AuthorId, Purpose,
            new ConsentFilterOptions
            {
                DataUseDescription = settings.RecordDataUse ? $"genai training set {startedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}" : null,
            });

        var total = (long)settings.People * settings.PostsPerPerson;
        string? firstKeptAuthor = null;
        await using (var file = new StreamWriter(settings.OutputPath, append: false))
        {
            long written = 0;
            await foreach (var post in run.WithCancellation(cancellationToken))
            {
                firstKeptAuthor ??= post.AuthorId;
                await file.WriteLineAsync(JsonSerializer.Serialize(post, DemoJson.Default.Post));
                if (++written % 2_000 == 0)
                {
                    output.WriteLine($"  progress: {run.Report.ItemsSeen:N0} of {total:N0} posts checked, {written:N0} written");
                }
            }
        }

        var report = run.Report;
        output.WriteLine($"Checked {report.ItemsSeen:N0} posts from {report.SubjectsSeen:N0} members.");
        output.WriteLine($"  kept     {report.ItemsKept,7:N0} posts from {report.SubjectsKept:N0} members who opted in -> {settings.OutputPath}");
        output.WriteLine($"  left out {report.ItemsLeftOut,7:N0} posts:");
        foreach (var (reason, count) in report.LeftOutByReason.OrderByDescending(p => p.Value))
        {
            output.WriteLine($"    {reason,-16} {count,7:N0}");
        }

        if (report.DataUse is { } dataUse)
        {
            output.WriteLine($"Recorded as data use {dataUse.Id} (\"{dataUse.Description}\", {dataUse.Status}, {dataUse.SubjectCount:N0} members).");
        }

        return (report, firstKeptAuthor);
    }

    /// <summary>Where a real app would queue a dataset rebuild or an unlearning job: here, a printout.</summary>
    internal sealed class PrintImpactHandler(TextWriter output) : IWithdrawalImpactHandler
    {
        public ValueTask OnWithdrawalAsync(WithdrawalImpact impact, CancellationToken cancellationToken)
        {
            output.WriteLine($"  Affects {impact.AffectedDataUses.Count} training set(s) that already hold their data:");
            foreach (var use in impact.AffectedDataUses)
            {
                output.WriteLine($"    {use.Id}  \"{use.Description}\"  {use.Status}, {use.SubjectCount:N0} members");
            }

            return ValueTask.CompletedTask;
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Post))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class DemoJson : System.Text.Json.Serialization.JsonSerializerContext;
