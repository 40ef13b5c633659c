using Microsoft.Extensions.DependencyInjection;
using ConsentKit.Testing;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>The store conformance suite, unchanged, on one schema shared by the whole class.</summary>
public sealed class PostgreSqlConformanceTests(SchemaFixture schema) : ConsentStoreConformanceTests, IClassFixture<SchemaFixture>
{
    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(schema.CreateStore());

    protected override async ValueTask<bool> FailAppendsForAsync(string subjectId)
    {
        await ((PostgreSqlConsentStore)Store).InitializeAsync(TestContext.Current.CancellationToken);

        // Function bodies cannot take parameters; the id is the suite's own (letters, digits and '-').
        await TestServer.ExecuteAsync(
            $"""
            CREATE OR REPLACE FUNCTION {schema.Schema}.test_fail_append() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM {schema.Schema}.consent_subjects WHERE subject_key = NEW.subject_key AND subject_id = '{subjectId.Replace("'", "''", StringComparison.Ordinal)}') THEN
                    RAISE EXCEPTION 'injected append failure';
                END IF;
                RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS test_fail_append ON {schema.Schema}.consent_events;
            CREATE TRIGGER test_fail_append BEFORE INSERT ON {schema.Schema}.consent_events FOR EACH ROW EXECUTE FUNCTION {schema.Schema}.test_fail_append();
            """,
            TestContext.Current.CancellationToken);
        return true;
    }
}

/// <summary>The ledger conformance suite, unchanged, on one schema shared by the whole class.</summary>
public sealed class PostgreSqlDataUseLedgerConformanceTests(SchemaFixture schema) : DataUseLedgerConformanceTests, IClassFixture<SchemaFixture>
{
    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(schema.CreateStore());
}

/// <summary>The relay-store conformance suite, unchanged, on one schema shared by the whole class.</summary>
public sealed class PostgreSqlRelayStoreConformanceTests(SchemaFixture schema) : RelayStoreConformanceTests, IClassFixture<SchemaFixture>
{
    protected override ValueTask<IConsentStore> CreateStoreAsync() => ValueTask.FromResult<IConsentStore>(schema.CreateStore());
}

/// <summary>The whole-stack specification, with the store registered by UsePostgreSqlStore, on one schema shared by the whole class.</summary>
public sealed class PostgreSqlSpecificationTests(SchemaFixture schema) : ConsentKitSpecificationTests, IClassFixture<SchemaFixture>
{
    protected override void AddStore(IConsentKitBuilder builder) =>
        builder.UsePostgreSqlStore(o =>
        {
            o.ConnectionString = TestServer.ConnectionString;
            o.SchemaName = schema.Schema;
        });
}

/// <summary>The model-lineage specification, with the store registered by UsePostgreSqlStore, on one schema shared by the whole class.</summary>
public sealed class PostgreSqlModelLineageSpecificationTests(SchemaFixture schema) : ModelLineageSpecificationTests, IClassFixture<SchemaFixture>
{
    protected override void AddStore(IConsentKitBuilder builder) =>
        builder.UsePostgreSqlStore(o =>
        {
            o.ConnectionString = TestServer.ConnectionString;
            o.SchemaName = schema.Schema;
        });
}
