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
}
