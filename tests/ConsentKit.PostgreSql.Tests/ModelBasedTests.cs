using ConsentKit.ModelBased;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>Every path held to the reference model over generated catalogs and histories, on PostgreSQL (a schema per scenario).</summary>
public sealed class ModelBasedTests
{
    [Fact]
    public Task EveryPath_AgreesWithTheReferenceModel_OnPostgreSql() =>
        ModelChecks.RunAsync(
            () =>
            {
                var schema = TestServer.NewSchemaName();
                var store = new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = TestServer.ConnectionString, SchemaName = schema });
                return Task.FromResult<(IConsentStore, Func<Task>)>((store, async () =>
                {
                    await store.DisposeAsync();
                    await TestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE;");
                }));
            },
            iterations: 40);
}
