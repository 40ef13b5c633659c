using BenchmarkDotNet.Attributes;
using ConsentKit;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The gate under contention: 1 to 16 threads checking 100k cached subjects while one writer invalidates
/// a random subject every millisecond (each invalidated subject's next check reads the store and refills).
/// The same 1.6M checks are split across the threads, so the mean per check falls as threads add throughput.
/// </summary>
[MemoryDiagnoser]
public class GateContentionBenchmarks
{
    private const int Subjects = 100_000;
    private const int TotalChecks = 1_600_000;

    private string[] _ids = [];
    private ServiceProvider _provider = null!;
    private IConsentGate _gate = null!;
    private CancellationTokenSource _stopWriter = new();
    private Thread? _writer;

    [Params(1, 2, 4, 16)]
    public int Threads { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _ids = Enumerable.Range(0, Subjects).Select(i => $"user-{i * 7919 % 1_000_003:D7}").ToArray();
        var services = new ServiceCollection();
        services.AddConsentKit(o =>
        {
            o.CacheSizeLimit = Subjects * 2;
            o.CacheMaxStaleness = TimeSpan.FromDays(1);
        }).AddStandardPurposes().UseInMemoryStore();
        _provider = services.BuildServiceProvider();
        _gate = _provider.GetRequiredService<IConsentGate>();
        var recorder = _provider.GetRequiredService<IConsentRecorder>();
        for (var i = 0; i < Subjects; i += 2)
        {
            await recorder.GrantAsync(_ids[i], ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"));
        }

        foreach (var id in _ids)
        {
            await _gate.CheckAsync(id, ConsentPurposes.GenerativeAiTraining);
        }

        var invalidator = _provider.GetRequiredService<IConsentCacheInvalidator>();
        _writer = new Thread(() =>
        {
            var random = new Random(7);
            while (!_stopWriter.IsCancellationRequested)
            {
                invalidator.Invalidate(_ids[random.Next(Subjects)]);
                Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "writer" };
        _writer.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stopWriter.Cancel();
        _writer?.Join();
        _provider.Dispose();
    }

    [Benchmark(OperationsPerInvoke = TotalChecks, Description = "IConsentGate.CheckAsync, one writer invalidating")]
    public int CheckUnderContention()
    {
        var perThread = TotalChecks / Threads;
        var allowed = 0;

        // Real threads, not the pool's: 16 means 16 threads contending, even on a 2-core machine.
        var threads = new Thread[Threads];
        for (var t = 0; t < threads.Length; t++)
        {
            var start = t * 7_777 % Subjects;
            threads[t] = new Thread(() =>
            {
                var local = 0;
                var index = start;
                for (var i = 0; i < perThread; i++)
                {
                    var check = _gate.CheckAsync(_ids[index], ConsentPurposes.GenerativeAiTraining);
                    if ((check.IsCompletedSuccessfully ? check.Result : check.AsTask().GetAwaiter().GetResult()).IsAllowed)
                    {
                        local++;
                    }

                    index = index + 1 == Subjects ? 0 : index + 1;
                }

                Interlocked.Add(ref allowed, local);
            });
        }

        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        return allowed;
    }
}
