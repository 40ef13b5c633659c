using ConsentKit.PostgreSql;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>The PostgreSQL server the benchmarks use: <c>CONSENTKIT_BENCH_POSTGRES</c>, else <c>CONSENTKIT_TEST_POSTGRES</c>.</summary>
internal static class BenchmarkServer
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("CONSENTKIT_BENCH_POSTGRES") is { Length: > 0 } bench ? bench
        : Environment.GetEnvironmentVariable("CONSENTKIT_TEST_POSTGRES") is { Length: > 0 } test ? test
        : throw new InvalidOperationException(
            "The PostgreSQL benchmarks need a server: set CONSENTKIT_BENCH_POSTGRES (or CONSENTKIT_TEST_POSTGRES) to an Npgsql connection string. " +
            "docs/performance.md shows how to start a throwaway cluster.");

    public static string NewSchemaName() => "bench_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>ConsentKit with the standard purposes on <paramref name="schema"/> of the server, as the scale steps use it.</summary>
    /// <param name="schema">The schema a scale step filled or fills.</param>
    /// <param name="configure">More packages on the builder (snapshots, import).</param>
    /// <param name="storeTimeout">The gate's store time-out, when a step's one read runs for minutes.</param>
    public static ServiceProvider ScaleProvider(string schema, Action<IConsentKitBuilder>? configure = null, TimeSpan? storeTimeout = null)
    {
        var services = new ServiceCollection();
        var kit = services.AddConsentKit(o => o.StoreTimeout = storeTimeout ?? o.StoreTimeout).AddStandardPurposes().UsePostgreSqlStore(o =>
        {
            o.ConnectionString = ConnectionString;
            o.SchemaName = schema;
        });
        configure?.Invoke(kit);
        return services.BuildServiceProvider();
    }
}
