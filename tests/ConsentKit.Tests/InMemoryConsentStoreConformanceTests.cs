using ConsentKit.Testing;

namespace ConsentKit.Tests;

public sealed class InMemoryConsentStoreConformanceTests : ConsentStoreConformanceTests
{
    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(new InMemoryConsentStore());
}
