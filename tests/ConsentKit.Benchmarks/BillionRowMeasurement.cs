using System.Diagnostics;
using System.Globalization;
using ConsentKit.Snapshots;
using DuckDB.NET.Data;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The billion-row path, end to end on one machine: DuckDB generates <c>posts</c> posts from the <c>people</c> authors of a
/// store <c>scale-import</c> filled into Parquet; ConsentKit writes the generative-AI-training snapshot from PostgreSQL;
/// DuckDB joins the two, keeping the posts of people who opted in; the authors used are imported back onto the data
/// use. Prints each step's time, rows/s and this process's peak working set (DuckDB's own memory included).
/// A benchmark, not a test: it needs tens of GB of disk and minutes.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- scale-billion &lt;schema&gt; &lt;people&gt; [posts]</c>.</remarks>
internal static class BillionRowMeasurement
{
    public static async Task RunAsync(string schema, int people, long posts)
    {
        var directory = Directory.CreateTempSubdirectory("consentkit-billion-").FullName;
        var postsPath = Path.Combine(directory, "posts.parquet");
        var snapshotPath = Path.Combine(directory, "consent.parquet");
        var usedPath = Path.Combine(directory, "used.parquet");
        Console.WriteLine($"The billion-row path: {posts:N0} posts from {people:N0} authors, PostgreSQL schema {schema}, files in {directory}");
        Console.WriteLine("| step | time | rows | rows/s | peak memory so far |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        try
        {
            await using var duck = new DuckDBConnection("DataSource=:memory:");
            await duck.OpenAsync();

            // Authors drawn by a hash of the post id: every author writes about posts / people posts.
            var rows = await StepAsync("DuckDB: generate the posts into Parquet", duck, $"""
                COPY (SELECT i AS post_id, CAST(hash(i) % {people} AS INTEGER) AS author FROM range({posts}) t(i))
                TO '{postsPath}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
                """);

            await using var provider = BenchmarkServer.ScaleProvider(schema, kit => kit.AddSnapshots());
            var snapshots = provider.GetRequiredService<IConsentSnapshots>();
            var dataUseId = $"billion-{Guid.NewGuid():N}";
            var clock = Stopwatch.StartNew();
            ConsentSnapshotInfo info;
            await using (var file = File.Create(snapshotPath))
            {
                info = await snapshots.CreateAsync(
                    new ConsentSnapshotRequest { PurposeId = ConsentPurposes.GenerativeAiTraining, DataUseId = dataUseId, Description = "billion-row training set" }, file);
            }

            Report("ConsentKit: the consent snapshot from PostgreSQL (streamed)", clock.Elapsed, info.SubjectCount);

            rows = await StepAsync("DuckDB: join posts with the snapshot into the training set", duck, $"""
                COPY (SELECT p.post_id, c.subject_id, c.consent_sequence
                      FROM read_parquet('{postsPath}') p
                      JOIN read_parquet('{snapshotPath}') c ON p.author = CAST(substr(c.subject_id, 8) AS INTEGER))
                TO '{Path.Combine(directory, "training-set.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
                """);
            await StepAsync("DuckDB: the authors the training set used", duck, $"""
                COPY (SELECT DISTINCT subject_id FROM read_parquet('{Path.Combine(directory, "training-set.parquet")}')) TO '{usedPath}' (FORMAT parquet)
                """);

            clock.Restart();
            var used = new List<string>();
            await using (var read = duck.CreateCommand())
            {
                read.CommandText = $"SELECT subject_id FROM read_parquet('{usedPath}')";
                await using var reader = await read.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    used.Add(reader.GetString(0));
                }
            }

            await using (var file = File.OpenRead(snapshotPath))
            {
                await snapshots.ImportUsedSubjectsAsync(file, used, itemsSeen: posts);
            }

            Report("ConsentKit: the used authors imported onto the data use", clock.Elapsed, used.Count);
            Console.WriteLine($"Training set: {rows:N0} posts of {used.Count:N0} authors who opted in (of {people:N0}).");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<long> StepAsync(string name, DuckDBConnection duck, string sql)
    {
        var clock = Stopwatch.StartNew();
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        var rows = await command.ExecuteNonQueryAsync();
        Report(name, clock.Elapsed, rows);
        return rows;
    }

    private static void Report(string step, TimeSpan elapsed, long rows) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {step} | {elapsed.TotalSeconds:0.0} s | {rows:N0} | {rows / elapsed.TotalSeconds:N0} | {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MiB |"));
}
