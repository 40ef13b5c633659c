using ConsentKit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ConsentKit.Tests;

/// <summary>A service provider with ConsentKit, a fake clock and a store of the test's choosing.</summary>
internal sealed class ConsentKitFixture : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    public ConsentKitFixture(
        Action<IConsentKitBuilder>? configure = null,
        IConsentStore? store = null,
        Action<ConsentKitOptions>? options = null,
        Action<IServiceCollection>? services = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<TimeProvider>(Time);
        services?.Invoke(collection);
        var builder = collection.AddConsentKit(options).AddStandardPurposes();
        if (store is null)
        {
            builder.UseInMemoryStore();
        }
        else
        {
            builder.UseStore(_ => store);
            if (store is IDataUseLedger ledger)
            {
                builder.UseDataUseLedger(_ => ledger);
            }
        }

        configure?.Invoke(builder);
        Provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public ServiceProvider Provider { get; }

    public IConsentGate Gate => Provider.GetRequiredService<IConsentGate>();

    public IConsentRecorder Recorder => Provider.GetRequiredService<IConsentRecorder>();

    public IConsentStore Store => Provider.GetRequiredService<IConsentStore>();

    public ValueTask<ConsentRecord> GrantAsync(string subject, string purpose = ConsentPurposes.GenerativeAiTraining, string? notice = null) =>
        Recorder.GrantAsync(subject, purpose, ConsentEvidence.FromUserInterface(notice ?? NoticeOf(purpose), "settings-page"));

    public ValueTask<ConsentRecord> WithdrawAsync(string subject, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        Recorder.WithdrawAsync(subject, purpose, ConsentEvidence.FromUserInterface(NoticeOf(purpose), "settings-page"));

    public ValueTask<ConsentRecord> RefuseAsync(string subject, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        Recorder.RefuseAsync(subject, purpose, ConsentEvidence.FromUserInterface(NoticeOf(purpose), "settings-page"));

    public ValueTask<ConsentDecision> CheckAsync(string subject, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        Gate.CheckAsync(subject, purpose);

    public string NoticeOf(string purpose) =>
        Provider.GetRequiredService<ConsentPurposeCatalog>().TryGetPurpose(purpose, out var p) ? p.NoticeVersion : "1";

    public void Dispose() => Provider.Dispose();
}

/// <summary>Wraps a store and counts the calls that reach it.</summary>
internal sealed class CountingStore(IConsentStore inner) : DelegatingConsentStore(inner)
{
    private int _currentReads;
    private int _appends;

    public int CurrentReads => Volatile.Read(ref _currentReads);

    public int Appends => Volatile.Read(ref _appends);

    public override ValueTask<ConsentRecord> AppendAsync(NewConsentRecord record, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _appends);
        return Inner.AppendAsync(record, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<ConsentRecord>> AppendManyAsync(IReadOnlyList<NewConsentRecord> records, CancellationToken cancellationToken = default)
    {
        Interlocked.Add(ref _appends, records.Count);
        return Inner.AppendManyAsync(records, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _currentReads);
        return Inner.GetCurrentAsync(subjectId, cancellationToken);
    }

    public int BulkReads => Volatile.Read(ref _bulkReads);

    public int Scans => Volatile.Read(ref _scans);

    public List<string> SubjectsRequested { get; } = [];

    private int _bulkReads;
    private int _scans;

    public override ValueTask<ConsentPurposeScan> ScanCurrentAsync(IReadOnlyCollection<string> purposeIds, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _scans);
        return Inner.ScanCurrentAsync(purposeIds, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _bulkReads);
        lock (SubjectsRequested)
        {
            SubjectsRequested.AddRange(subjectIds);
        }

        return Inner.GetCurrentManyAsync(subjectIds, cancellationToken);
    }
}

/// <summary>A store whose reads fail or hang on demand; appends go to an in-memory store.</summary>
internal sealed class FaultyStore : DelegatingConsentStore, IDataUseLedger
{
    private readonly InMemoryConsentStore _inner;
    private int _bulkReads;

    public FaultyStore()
        : this(new InMemoryConsentStore())
    {
    }

    private FaultyStore(InMemoryConsentStore inner)
        : base(inner) => _inner = inner;

    /// <summary>Bulk reads after this many succeed fail with <see cref="ReadFailure"/> (or a default error).</summary>
    public int? FailBulkReadsAfter { get; set; }

    public Exception? ReadFailure { get; set; }

    /// <summary>When set, reads wait for this task (and ignore cancellation, like a stuck driver).</summary>
    public Task? ReadHang { get; set; }

    /// <summary>When set, purpose-wide scans fail.</summary>
    public bool FailScans { get; set; }

    /// <summary>When set, purpose-wide scans wait for this task (and ignore cancellation, like a stuck driver).</summary>
    public Task? ScanHang { get; set; }

    public override async ValueTask<ConsentPurposeScan> ScanCurrentAsync(IReadOnlyCollection<string> purposeIds, CancellationToken cancellationToken = default)
    {
        if (ScanHang is { } hang)
        {
            await hang;
        }

        if (FailScans)
        {
            throw ReadFailure ?? new InvalidOperationException("scan failed");
        }

        return await _inner.ScanCurrentAsync(purposeIds, cancellationToken);
    }

    /// <summary>When set, bulk reads return this task (and ignore cancellation, like a stuck driver).</summary>
    public Task<IReadOnlyList<ConsentRecord>>? BulkReadHang { get; set; }

    public override async ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        if (ReadHang is { } hang)
        {
            await hang;
        }

        if (ReadFailure is { } failure)
        {
            throw failure;
        }

        return await _inner.GetCurrentAsync(subjectId, cancellationToken);
    }

    public override ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken = default)
    {
        if (BulkReadHang is { } hang)
        {
            return new(hang);
        }

        if (ReadFailure is { } failure && FailBulkReadsAfter is null)
        {
            return ValueTask.FromException<IReadOnlyList<ConsentRecord>>(failure);
        }

        if (FailBulkReadsAfter is { } after && Interlocked.Increment(ref _bulkReads) > after)
        {
            return ValueTask.FromException<IReadOnlyList<ConsentRecord>>(ReadFailure ?? new InvalidOperationException("bulk read failed"));
        }

        return _inner.GetCurrentManyAsync(subjectIds, cancellationToken);
    }

    public ValueTask<DataUse> StartAsync(NewDataUse dataUse, CancellationToken cancellationToken = default) => _inner.StartAsync(dataUse, cancellationToken);

    public ValueTask AddSubjectsAsync(string dataUseId, IReadOnlyList<DataUseSubject> subjects, CancellationToken cancellationToken = default) =>
        _inner.AddSubjectsAsync(dataUseId, subjects, cancellationToken);

    public ValueTask<DataUse> CompleteAsync(string dataUseId, DateTimeOffset endedAt, long itemsSeen, long itemsKept, CancellationToken cancellationToken = default) =>
        _inner.CompleteAsync(dataUseId, endedAt, itemsSeen, itemsKept, cancellationToken);

    public ValueTask<DataUse> FailAsync(string dataUseId, DateTimeOffset endedAt, string reason, CancellationToken cancellationToken = default) =>
        _inner.FailAsync(dataUseId, endedAt, reason, cancellationToken);

    public ValueTask<DataUse?> GetAsync(string dataUseId, CancellationToken cancellationToken = default) => _inner.GetAsync(dataUseId, cancellationToken);

    public ValueTask<IReadOnlyList<DataUse>> ListAsync(int limit = 100, CancellationToken cancellationToken = default) => _inner.ListAsync(limit, cancellationToken);

    public ValueTask<IReadOnlyList<DataUse>> FindBySubjectAsync(string subjectId, string? purposeId = null, CancellationToken cancellationToken = default) =>
        _inner.FindBySubjectAsync(subjectId, purposeId, cancellationToken);

    public ValueTask<IReadOnlyList<DataUseSubject>> GetSubjectsAsync(string dataUseId, CancellationToken cancellationToken = default) =>
        _inner.GetSubjectsAsync(dataUseId, cancellationToken);

    public ValueTask<IReadOnlyList<DataUse>> FindAffectedByAsync(ConsentRecord record, CancellationToken cancellationToken = default) =>
        _inner.FindAffectedByAsync(record, cancellationToken);
}
