using ConsentKit.Testing;

namespace ConsentKit.Tests;

public sealed class InMemoryConsentStoreConformanceTests : ConsentStoreConformanceTests
{
    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(new InMemoryConsentStore());
}

public sealed class InMemoryDataUseLedgerConformanceTests : DataUseLedgerConformanceTests
{
    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(new InMemoryConsentStore());
}
