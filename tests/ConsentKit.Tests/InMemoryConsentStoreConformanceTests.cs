using Microsoft.Extensions.DependencyInjection;
using ConsentKit.Testing;

namespace ConsentKit.Tests;

public sealed class InMemoryConsentStoreConformanceTests : ConsentStoreConformanceTests
{
    private InMemoryConsentStore? _store;

    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(_store = new InMemoryConsentStore());

    protected override ValueTask<bool> FailAppendsForAsync(string subjectId)
    {
        _store!.AppendFault = record => record.SubjectId == subjectId ? new InvalidOperationException("Injected append failure.") : null;
        return ValueTask.FromResult(true);
    }
}

public sealed class InMemoryDataUseLedgerConformanceTests : DataUseLedgerConformanceTests
{
    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(new InMemoryConsentStore());
}

/// <summary>A <see cref="DelegatingConsentStore"/> that overrides nothing passes the whole suite: every call reaches the inner store.</summary>
public sealed class DelegatingConsentStoreConformanceTests : ConsentStoreConformanceTests
{
    private InMemoryConsentStore? _inner;

    protected override ValueTask<IConsentStore> CreateStoreAsync() =>
        ValueTask.FromResult<IConsentStore>(new DelegatingConsentStore(_inner = new InMemoryConsentStore()));

    protected override ValueTask<bool> FailAppendsForAsync(string subjectId)
    {
        _inner!.AppendFault = record => record.SubjectId == subjectId ? new InvalidOperationException("Injected append failure.") : null;
        return ValueTask.FromResult(true);
    }
}

public sealed class InMemorySpecificationTests : ConsentKitSpecificationTests
{
    protected override void AddStore(IConsentKitBuilder builder) => builder.UseInMemoryStore();
}

public sealed class InMemoryModelLineageSpecificationTests : ModelLineageSpecificationTests
{
    protected override void AddStore(IConsentKitBuilder builder) => builder.UseInMemoryStore();
}

public sealed class InMemoryRelayStoreConformanceTests : RelayStoreConformanceTests
{
    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(new InMemoryConsentStore());
}
