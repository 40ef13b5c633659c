using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using ConsentKit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FeatureManagement;

namespace ConsentKit.Benchmarks;

/// <summary>
/// One consent decision on a warm cache holding 100k subjects, next to a plain dictionary lookup over
/// the same ids (the floor) and a feature flag check in Microsoft.FeatureManagement (a peer).
/// </summary>
[MemoryDiagnoser]
public class GateBenchmarks
{
    private const int Subjects = 100_000;
    private const int Batch = 1_000;

    private string[] _ids = [];
    private Dictionary<string, ConsentDecision> _dictionary = [];
    private ConcurrentDictionary<string, ConsentDecision> _concurrent = new();
    private ServiceProvider _provider = null!;
    private IConsentGate _gate = null!;
    private IFeatureManager _features = null!;
    private int _next;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        // Ids are built at run time, as they would come from a request or a data row.
        _ids = Enumerable.Range(0, Subjects).Select(i => $"user-{i * 7919 % 1_000_003:D7}").ToArray();

        var services = new ServiceCollection();
        services.AddConsentKit(o =>
        {
            o.CacheSizeLimit = Subjects * 2;
            o.CacheMaxStaleness = TimeSpan.FromDays(1);
        }).AddStandardPurposes().UseInMemoryStore();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["FeatureManagement:GenAiTraining"] = "true" })
            .Build();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddFeatureManagement();
        _provider = services.BuildServiceProvider();

        _gate = _provider.GetRequiredService<IConsentGate>();
        _features = _provider.GetRequiredService<IFeatureManager>();
        var recorder = _provider.GetRequiredService<IConsentRecorder>();
        for (var i = 0; i < Subjects; i += 2)
        {
            await recorder.GrantAsync(_ids[i], ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1"));
        }

        foreach (var id in _ids)
        {
            var decision = await _gate.CheckAsync(id, ConsentPurposes.GenerativeAiTraining);
            _dictionary[id] = decision;
            _concurrent[id] = decision;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _provider.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "Dictionary<string, decision> lookup")]
    public int DictionaryLookup()
    {
        var allowed = 0;
        var start = NextStart();
        for (var i = 0; i < Batch; i++)
        {
            if (_dictionary.TryGetValue(_ids[start + i], out var decision) && decision.IsAllowed)
            {
                allowed++;
            }
        }

        return allowed;
    }

    // Context, not a goal: the thread-safe map the gate's cache is built on, on its own.
    [Benchmark(OperationsPerInvoke = Batch, Description = "ConcurrentDictionary<string, decision> lookup")]
    public int ConcurrentDictionaryLookup()
    {
        var allowed = 0;
        var start = NextStart();
        for (var i = 0; i < Batch; i++)
        {
            if (_concurrent.TryGetValue(_ids[start + i], out var decision) && decision.IsAllowed)
            {
                allowed++;
            }
        }

        return allowed;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "IConsentGate.CheckAsync (warm cache)")]
    public async ValueTask<int> GateCheck()
    {
        var allowed = 0;
        var start = NextStart();
        for (var i = 0; i < Batch; i++)
        {
            if ((await _gate.CheckAsync(_ids[start + i], ConsentPurposes.GenerativeAiTraining)).IsAllowed)
            {
                allowed++;
            }
        }

        return allowed;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "FeatureManagement IsEnabledAsync")]
    public async ValueTask<int> FeatureFlag()
    {
        var allowed = 0;
        for (var i = 0; i < Batch; i++)
        {
            if (await _features.IsEnabledAsync("GenAiTraining"))
            {
                allowed++;
            }
        }

        return allowed;
    }

    // Walks the 100k ids in batches so every benchmark touches the whole set, not one hot cache line.
    private int NextStart()
    {
        var start = _next;
        _next = (_next + Batch) % Subjects;
        return start;
    }
}
