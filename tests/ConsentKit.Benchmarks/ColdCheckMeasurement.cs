using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The gate's cold path on PostgreSQL at scale: <c>callers</c> concurrent callers each check a person drawn uniformly
/// from <c>people</c> (so almost every check misses the 100,000-subject cache and reads the store), for a fixed time,
/// with the misses read one by one and then coalesced and batched (<see cref="SubjectMissReader"/>). Prints the
/// latency percentiles per mode. Not a BenchmarkDotNet benchmark: a closed-loop load run against a store that
/// <c>scale-import</c> filled.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- cold-check &lt;schema&gt; &lt;people&gt; [callers] [seconds] [sweep]</c>.</remarks>
internal static class ColdCheckMeasurement
{
    public static async Task RunAsync(string schema, int people, int callers, int seconds, bool sweep = false)
    {
        Console.WriteLine($"Cold checks on PostgreSQL: {people:N0} people, {callers} concurrent callers, {seconds} s per mode, each check a person drawn uniformly (cache: 100,000 subjects)");
        Console.WriteLine("| store reads for misses | checks | checks/s | p50 | p90 | p99 | max |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");

        // The sweep varies the two constants: reads out at 256 per read, then the batch at 2 and at 4 reads out.
        (bool Batching, int InFlight, int Batch)[] modes = sweep
            ? [(true, 1, 256), (true, 2, 256), (true, 4, 256), (true, 8, 256), (true, 16, 256), (true, 2, 16), (true, 2, 64), (true, 2, 1024), (true, 4, 16), (true, 4, 64), (true, 4, 1024)]
            : [(false, 0, 0), (true, SubjectMissReader.MaxReadsInFlight, SubjectMissReader.MaxBatch)];
        foreach (var (batching, inFlight, batch) in modes)
        {
            await using var provider = BenchmarkServer.ScaleProvider(schema);
            var gate = (ConsentGate)provider.GetRequiredService<IConsentGate>();
            gate.Misses.Batching = batching;
            if (batching)
            {
                gate.Misses.ReadsInFlight = inFlight;
                gate.Misses.BatchLimit = batch;
            }

            // The warm-up draws other people than the measured run: a person it cached would be a hit there.
            await RunForAsync(gate, people, callers, TimeSpan.FromSeconds(3), seed: 1_000);
            var latencies = await RunForAsync(gate, people, callers, TimeSpan.FromSeconds(seconds), seed: 0);
            latencies.Sort();
            double Ms(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))] * 1000.0 / Stopwatch.Frequency;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {(batching ? $"coalesced and batched: {inFlight} reads out, up to {batch} per read" : "one read per miss")} | {latencies.Count:N0} | {latencies.Count / (double)seconds:N0} | {Ms(0.5):0.00} ms | {Ms(0.9):0.00} ms | {Ms(0.99):0.00} ms | {latencies[^1] * 1000.0 / Stopwatch.Frequency:0.0} ms |"));
        }
    }

    private static async Task<List<long>> RunForAsync(ConsentGate gate, int people, int callers, TimeSpan duration, int seed)
    {
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perCaller = await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var random = new Random(seed + c);
            var latencies = new List<long>(100_000);
            while (Stopwatch.GetTimestamp() < end)
            {
                var id = string.Create(CultureInfo.InvariantCulture, $"member-{random.Next(people):D8}");
                var start = Stopwatch.GetTimestamp();
                var decision = await gate.CheckAsync(id, ConsentPurposes.GenerativeAiTraining);
                latencies.Add(Stopwatch.GetTimestamp() - start);
                if (decision.Reason == ConsentDecisionReason.StoreUnavailable)
                {
                    throw new InvalidOperationException("The store was unavailable during the run.");
                }
            }

            return latencies;
        })));
        return [.. perCaller.SelectMany(l => l)];
    }
}
