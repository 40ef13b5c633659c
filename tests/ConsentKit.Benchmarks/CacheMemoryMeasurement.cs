using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// How much memory the gate's cache holds per cached subject: the managed heap after every subject was checked once,
/// minus the heap before, over the number of subjects, on the in-memory store (records shared with the store) and on
/// SQLite (records read back, so the cache holds its own). The ids exist before the first check (the cache keeps the
/// caller's string), so the growth is what the cache adds beyond them. Not a BenchmarkDotNet benchmark.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- cache-memory [subjects]</c>.</remarks>
internal static class CacheMemoryMeasurement
{
    public static async Task RunAsync(int subjects)
    {
        Console.WriteLine($"Gate cache memory, {subjects:N0} subjects each with one grant (ids 'member-0000001', 14 characters), every subject checked once");
        Console.WriteLine("| store | subjects cached | heap growth | per cached subject, beyond its id |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var store in new[] { "memory", "sqlite" })
        {
            var (cached, bytes) = await MeasureAsync(store, subjects);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {store} | {cached:N0} | {bytes / 1048576.0:0.0} MiB | {bytes / (double)cached:0} B |"));
        }
    }

    private static async Task<(int Cached, long Bytes)> MeasureAsync(string kind, int subjects)
    {
        var directory = Directory.CreateTempSubdirectory("consentkit-cache-memory-").FullName;
        try
        {
            var services = new ServiceCollection();
            var consent = services.AddConsentKit(o => o.CacheSizeLimit = subjects + 1_000).AddStandardPurposes();
            if (kind == "sqlite")
            {
                consent.UseSqliteStore($"Data Source={Path.Combine(directory, "consent.db")}");
            }
            else
            {
                consent.UseInMemoryStore();
            }

            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IConsentStore>();
            var now = DateTimeOffset.UtcNow;
            var ids = Enumerable.Range(0, subjects).Select(i => $"member-{i:D7}").ToArray();
            foreach (var chunk in ids.Chunk(5_000))
            {
                await store.AppendManyAsync([.. chunk.Select(id => new NewConsentRecord(id, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", now, null, ConsentMethod.SubjectUserInterface, "bench"))]);
            }

            var gate = provider.GetRequiredService<IConsentGate>();
            await gate.CheckAsync("warm-up", ConsentPurposes.GenerativeAiTraining);
            var before = Heap();
            foreach (var id in ids)
            {
                await gate.CheckAsync(id, ConsentPurposes.GenerativeAiTraining);
            }

            var after = Heap();
            var cached = ((ConsentGate)gate).CachedSubjectCount;
            GC.KeepAlive(ids);
            return (cached, after - before);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
