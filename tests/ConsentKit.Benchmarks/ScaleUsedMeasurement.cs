using System.Diagnostics;
using System.Globalization;
using ConsentKit.Snapshots;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The scale set's last ConsentKit step alone: every subject of a snapshot recorded as used on its data use
/// (<see cref="IConsentSnapshots.ImportUsedSubjectsAsync"/>). First run with a new path writes the snapshot and
/// stops; the next run, a process of its own, imports it, so the peak working set it prints is the import's.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- scale-used &lt;schema&gt; &lt;snapshot.parquet&gt;</c> twice.</remarks>
internal static class ScaleUsedMeasurement
{
    public static async Task RunAsync(string schema, string path)
    {
        await using var provider = BenchmarkServer.ScaleProvider(schema, kit => kit.AddSnapshots(), TimeSpan.FromMinutes(10));
        var snapshots = provider.GetRequiredService<IConsentSnapshots>();
        if (!File.Exists(path))
        {
            await using var output = File.Create(path);
            var info = await snapshots.CreateAsync(
                new ConsentSnapshotRequest { PurposeId = ConsentPurposes.GenerativeAiTraining, DataUseId = $"scale-used-{Guid.NewGuid():N}", Description = "scale run" }, output);
            Console.WriteLine($"Snapshot of {info.SubjectCount:N0} subjects written to {path}; run again to import them as used.");
            return;
        }

        var used = await ParquetSubjects(path);
        var before = Process.GetCurrentProcess().PeakWorkingSet64;
        var clock = Stopwatch.StartNew();
        await using (var input = File.OpenRead(path))
        {
            await snapshots.ImportUsedSubjectsAsync(input, used);
        }

        var elapsed = clock.Elapsed;
        Console.WriteLine("| used subjects | import | subjects/s | process peak memory (before the call: the used ids) |");
        Console.WriteLine("|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {used.Count:N0} | {elapsed.TotalSeconds:0.0} s | {used.Count / elapsed.TotalSeconds:N0} | {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MiB ({before / 1048576.0:N0} MiB) |"));
    }

    // The used ids as a caller holds them: every subject of the snapshot, read back by DuckDB as the join would.
    private static Task<List<string>> ParquetSubjects(string path)
    {
        using var duck = new DuckDB.NET.Data.DuckDBConnection("DataSource=:memory:");
        duck.Open();
        using var command = duck.CreateCommand();
        command.CommandText = $"SELECT subject_id FROM read_parquet('{path}')";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return Task.FromResult(ids);
    }
}
