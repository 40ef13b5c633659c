using Npgsql;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL server the tests use: the connection string in <c>CONSENTKIT_TEST_POSTGRES</c>, which
/// <c>.ci/run</c> sets after starting a throwaway cluster. Without it the tests skip, saying how to get
/// one — except under <c>CI=true</c>, where they must run and fail instead.
/// </summary>
internal static class TestServer
{
    public const string Variable = "CONSENTKIT_TEST_POSTGRES";

    public static string ConnectionString
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value;
            }

            const string how = $"No PostgreSQL server: set {Variable} to a connection string (e.g. Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres), " +
                "or run `bash .ci/run`, which starts a throwaway cluster (recipe in .ci/services.sh).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("Under CI=true the PostgreSQL tests must run. " + how);
            }

            Assert.Skip(how);
            return null!;
        }
    }

    /// <summary>A schema name no other test uses.</summary>
    public static string NewSchemaName() => "t_" + Guid.NewGuid().ToString("N")[..16];

    public static async Task ExecuteAsync(string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

/// <summary>One schema for a whole test class (the conformance suites' shared-fixture mode), dropped afterwards.</summary>
public sealed class SchemaFixture : IAsyncLifetime
{
    public string Schema { get; } = TestServer.NewSchemaName();

    public PostgreSqlConsentStore CreateStore() =>
        new(new PostgreSqlConsentStoreOptions { ConnectionString = TestServer.ConnectionString, SchemaName = Schema });

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TestServer.Variable)))
        {
            await TestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {Schema} CASCADE;");
        }
    }
}
