using ConsentKit.Testing;

namespace ConsentKit.Sqlite.Tests;

public sealed class SqliteConformanceTests : ConsentStoreConformanceTests
{
    private readonly TempDatabase _database = new();

    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(_database.CreateStore());

    protected override async ValueTask DisposeStoreAsync(IConsentStore store)
    {
        await base.DisposeStoreAsync(store);
        _database.Dispose();
    }
}

public sealed class SqliteDataUseLedgerConformanceTests : DataUseLedgerConformanceTests
{
    private readonly TempDatabase _database = new();

    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(_database.CreateStore());

    protected override async ValueTask DisposeStoreAsync(IConsentStore store)
    {
        await base.DisposeStoreAsync(store);
        _database.Dispose();
    }
}
