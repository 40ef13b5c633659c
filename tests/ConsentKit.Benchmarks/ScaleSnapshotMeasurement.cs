using System.Diagnostics;
using System.Globalization;
using ConsentKit.Snapshots;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The scale set's snapshot step: the generative-AI-training snapshot of a store <c>scale-import</c> filled, written to a
/// Parquet file (streamed: <see cref="IConsentSnapshots.CreateAsync"/>), or, with <c>list</c>, the same decisions read as one
/// list (<see cref="IConsentPurposeReader.ReadAllowedAsync"/>) for comparison. Run each in a process of its own: it
/// prints the process's peak working set, which is the figure the aim (≤ 512 MB) is about.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- scale-snapshot &lt;schema&gt; [stream|list]</c>.</remarks>
internal static class ScaleSnapshotMeasurement
{
    public static async Task RunAsync(string schema, string mode)
    {
        // The list's one scan of 10M subjects takes minutes, far past the gate's default time-out.
        await using var provider = BenchmarkServer.ScaleProvider(schema, kit => kit.AddSnapshots(), TimeSpan.FromMinutes(10));
        var clock = Stopwatch.StartNew();
        long rows;
        long bytes = 0;
        if (mode == "list")
        {
            rows = (await provider.GetRequiredService<IConsentPurposeReader>().ReadAllowedAsync(ConsentPurposes.GenerativeAiTraining)).Subjects.Count;
        }
        else
        {
            var path = Path.Combine(Path.GetTempPath(), $"consentkit-scale-{Guid.NewGuid():N}.parquet");
            await using (var file = File.Create(path))
            {
                var info = await provider.GetRequiredService<IConsentSnapshots>().CreateAsync(
                    new ConsentSnapshotRequest { PurposeId = ConsentPurposes.GenerativeAiTraining, DataUseId = $"scale-{Guid.NewGuid():N}", Description = "scale run" }, file);
                rows = info.SubjectCount;
            }

            bytes = new FileInfo(path).Length;
            File.Delete(path);
        }

        var elapsed = clock.Elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {(mode == "list" ? "ReadAllowedAsync (one list)" : "CreateAsync, Parquet (streamed)")} | {rows:N0} | {elapsed.TotalSeconds:0.0} s | {rows / elapsed.TotalSeconds:N0} | {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MiB | {(bytes == 0 ? "-" : $"{bytes / 1048576.0:N0} MiB")} |"));
    }
}
