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
