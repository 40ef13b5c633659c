using System.Diagnostics;
using System.Globalization;
using BitFaster.Caching.Lru;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The gate cache's eviction under skewed traffic: lookups of <c>people</c> subjects drawn from a Zipf distribution
/// (s = 1, as popularity on a social platform roughly is), with room for a tenth of them. Compares the gate's table
/// with its CLOCK eviction, the same table with the plain sweep it replaced, and BitFaster.Caching's ConcurrentLru of
/// the same capacity. A miss is filled at once (as the gate fills from the store). Prints the hit ratio and the time
/// per lookup on one thread. Not a BenchmarkDotNet benchmark: the hit ratio is the result.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- cache-hits [people]</c>.</remarks>
internal static class CacheHitMeasurement
{
    public static void Run(int people)
    {
        var capacity = people / 10;
        var lookups = people * 5;
        var ids = Enumerable.Range(0, people).Select(i => string.Create(CultureInfo.InvariantCulture, $"member-{i:D8}")).ToArray();
        var trace = ZipfTrace(people, lookups, seed: 42);
        var entry = new SubjectCacheEntry([], 0, long.MaxValue);
        Console.WriteLine($"Cache hit ratio under Zipf(1) traffic: {people:N0} subjects, room for {capacity:N0}, {lookups:N0} lookups after as many to warm up");
        Console.WriteLine("| cache | hit ratio | ns per lookup (one thread) |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var secondChance in new[] { false, true })
        {
            var table = new SubjectTable(capacity) { SecondChance = secondChance };
            Report(secondChance ? "gate table, CLOCK eviction" : "gate table, plain sweep (before)", ids, trace, id =>
            {
                if (table.TryGet(id, out _))
                {
                    return true;
                }

                table.Set(id, entry);
                return false;
            });
        }

        var lru = new ConcurrentLru<string, SubjectCacheEntry>(capacity);
        Report("BitFaster.Caching ConcurrentLru", ids, trace, id =>
        {
            if (lru.TryGet(id, out _))
            {
                return true;
            }

            lru.AddOrUpdate(id, entry);
            return false;
        });
    }

    private static void Report(string name, string[] ids, int[] trace, Func<string, bool> lookup)
    {
        // The first half warms the cache; the second is measured.
        var half = trace.Length / 2;
        for (var i = 0; i < half; i++)
        {
            lookup(ids[trace[i]]);
        }

        long hits = 0;
        var clock = Stopwatch.StartNew();
        for (var i = half; i < trace.Length; i++)
        {
            hits += lookup(ids[trace[i]]) ? 1 : 0;
        }

        var ns = clock.Elapsed.TotalNanoseconds / (trace.Length - half);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {hits / (double)(trace.Length - half):P1} | {ns:0} |"));
    }

    private static int[] ZipfTrace(int n, int count, int seed)
    {
        var cumulative = new double[n];
        double sum = 0;
        for (var rank = 0; rank < n; rank++)
        {
            sum += 1.0 / (rank + 1);
            cumulative[rank] = sum;
        }

        // Popularity is not the id order: a fixed shuffle maps ranks to subjects.
        var random = new Random(seed);
        var subjectOfRank = Enumerable.Range(0, n).ToArray();
        random.Shuffle(subjectOfRank);
        var trace = new int[count * 2];
        for (var i = 0; i < trace.Length; i++)
        {
            var rank = Array.BinarySearch(cumulative, random.NextDouble() * sum);
            trace[i] = subjectOfRank[rank < 0 ? ~rank : rank];
        }

        return trace;
    }
}
