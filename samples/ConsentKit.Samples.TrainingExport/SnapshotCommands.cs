using ConsentKit.Snapshots;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Samples.TrainingExport;

/// <summary>
/// The data-lake path: <c>snapshot</c> hands a Spark or DuckDB job the members it may use (Parquet, or CSV for a
/// <c>.csv</c> path) and starts
/// the run on the ledger; <c>import-used</c> records the members the job actually used and completes it.
/// </summary>
internal static class SnapshotCommands
{
    public static async Task<int> SnapshotAsync(string databasePath, string snapshotPath, string dataUseId, TextWriter output, CancellationToken cancellationToken)
    {
        if (!File.Exists(databasePath))
        {
            await output.WriteLineAsync($"No database at {databasePath}: run the export once to create and seed it.");
            return 2;
        }

        // The file's extension picks the format: .csv for CSV, anything else Parquet.
        var csv = string.Equals(Path.GetExtension(snapshotPath), ".csv", StringComparison.OrdinalIgnoreCase);
        await using var provider = Build(databasePath);
        await using var file = File.Create(snapshotPath);
        var info = await provider.GetRequiredService<IConsentSnapshots>().CreateAsync(
            new ConsentSnapshotRequest
            {
                PurposeId = ConsentPurposes.GenerativeAiTraining,
                DataUseId = dataUseId,
                Description = $"{dataUseId} (external job)",
                Format = csv ? ConsentSnapshotFormat.Csv : ConsentSnapshotFormat.Parquet,
            },
            file,
            cancellationToken);
        var read = csv
            ? $"read_csv('{snapshotPath}', auto_detect = false, comment = '#', header = true, delim = ',', quote = '\"', escape = '\"', columns = {{'subject_id': 'VARCHAR', 'consent_sequence': 'BIGINT'}})"
            : $"read_parquet('{snapshotPath}')";
        await output.WriteLineAsync($"Snapshot {snapshotPath}: {info.SubjectCount} members may be used for {info.PurposeId}, at sequence {info.Watermark} (sha256 {info.ContentSha256}).");
        await output.WriteLineAsync($"Data use {info.DataUse.Id} started. Join in DuckDB: SELECT p.* FROM posts p JOIN {read} a ON p.author_id = a.subject_id;");
        return 0;
    }

    public static async Task<int> ImportUsedAsync(string databasePath, string snapshotPath, string usedPath, TextWriter output, CancellationToken cancellationToken)
    {
        await using var provider = Build(databasePath);
        var used = (await File.ReadAllLinesAsync(usedPath, cancellationToken)).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        try
        {
            await using var file = File.OpenRead(snapshotPath);
            var use = await provider.GetRequiredService<IConsentSnapshots>().ImportUsedSubjectsAsync(file, used, cancellationToken: cancellationToken);
            await output.WriteLineAsync($"Data use {use.Id}: {use.Status}, {use.SubjectCount} members on the record.");
            return 0;
        }
        catch (ArgumentException ex)
        {
            await output.WriteLineAsync("Refused: " + ex.Message);
            return 2;
        }
    }

    private static ServiceProvider Build(string databasePath)
    {
        var services = new ServiceCollection();
        services.AddConsentKit()
            .AddPurpose(ConsentPurposes.AiTraining, "Data for AI training", "Use my profile and posts to train AI models.", DemoData.CurrentNotice)
            .AddPurpose(ConsentPurposes.GenerativeAiTraining, "Data for Generative AI improvement", "Use my data for training content-creation AI models.", DemoData.CurrentNotice, lifetime: DemoData.Lifetime)
            .UseSqliteStore($"Data Source={databasePath}")
            .AddSnapshots();
        return services.BuildServiceProvider();
    }
}
