using ConsentKit.ModelBased;

namespace ConsentKit.Sqlite.Tests;

/// <summary>Every path held to the reference model over generated catalogs and histories, on a SQLite file.</summary>
public sealed class ModelBasedTests
{
    [Fact]
    public Task EveryPath_AgreesWithTheReferenceModel_OnSqlite() =>
        ModelChecks.RunAsync(
            () =>
            {
                var database = new TempDatabase();
                var store = database.CreateStore();
                return Task.FromResult<(IConsentStore, Func<Task>)>((store, () =>
                {
                    store.Dispose();
                    database.Dispose();
                    return Task.CompletedTask;
                }));
            },
            iterations: 100);
}
