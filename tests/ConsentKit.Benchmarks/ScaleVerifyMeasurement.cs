using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The scale set's verify step alone: the whole history of a store <c>scale-import</c> filled, verified in a process of its
/// own, so the peak working set it prints is the verifier's (the figure that grows with the number of people).
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- scale-verify &lt;schema&gt;</c>.</remarks>
internal static class ScaleVerifyMeasurement
{
    public static async Task RunAsync(string schema)
    {
        await using var provider = BenchmarkServer.ScaleProvider(schema);
        var store = provider.GetRequiredService<IConsentStore>();
        var clock = Stopwatch.StartNew();
        var verified = await new ConsentHistoryVerifier(store, provider.GetService<IDataUseLedger>()).VerifyAsync();
        var elapsed = clock.Elapsed;
        Console.WriteLine("| records | proof-log entries | verify | records/s | process peak memory | result |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {verified.RecordsChecked:N0} | {verified.LogEntriesChecked:N0} | {elapsed.TotalSeconds:0.0} s | {verified.RecordsChecked / elapsed.TotalSeconds:N0} | {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MiB | {(verified.IsValid ? "valid" : verified.Message)} |"));
    }
}
