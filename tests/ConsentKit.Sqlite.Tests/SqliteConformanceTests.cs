using Microsoft.Extensions.DependencyInjection;
using ConsentKit.Testing;

namespace ConsentKit.Sqlite.Tests;

public sealed class SqliteConformanceTests : ConsentStoreConformanceTests
{
    private readonly TempDatabase _database = new();

    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(_database.CreateStore());

    protected override async ValueTask<bool> FailAppendsForAsync(string subjectId)
    {
        await ((SqliteConsentStore)Store).InitializeAsync(TestContext.Current.CancellationToken);
        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        // Triggers cannot take parameters; the id is the suite's own (letters, digits and '-').
        command.CommandText =
            $"CREATE TRIGGER test_fail_append BEFORE INSERT ON consent_events WHEN (SELECT subject_id FROM consent_subjects WHERE subject_key = NEW.subject_key) = '{subjectId.Replace("'", "''", StringComparison.Ordinal)}' " +
            "BEGIN SELECT RAISE(ABORT, 'injected append failure'); END;";
        command.ExecuteNonQuery();
        return true;
    }

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

public sealed class SqliteRelayStoreConformanceTests : RelayStoreConformanceTests
{
    private readonly TempDatabase _database = new();

    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(_database.CreateStore());

    protected override async ValueTask DisposeStoreAsync(IConsentStore store)
    {
        await base.DisposeStoreAsync(store);
        _database.Dispose();
    }
}

public sealed class SqliteSpecificationTests : ConsentKitSpecificationTests
{
    private readonly TempDatabase _database = new();

    protected override void AddStore(IConsentKitBuilder builder) => builder.UseSqliteStore(_database.ConnectionString);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _database.Dispose();
    }
}

public sealed class SqliteModelLineageSpecificationTests : ModelLineageSpecificationTests
{
    private readonly TempDatabase _database = new();

    protected override void AddStore(IConsentKitBuilder builder) => builder.UseSqliteStore(_database.ConnectionString);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _database.Dispose();
    }
}
