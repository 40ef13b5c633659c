using Npgsql;

namespace ConsentKit.Relay.Tests;

/// <summary>The PostgreSQL server the tests share, and a schema of a test's own, dropped afterwards.</summary>
internal static class TestDatabase
{
    public static string PostgreSqlConnection()
    {
        var value = Environment.GetEnvironmentVariable("CONSENTKIT_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }

        const string how = "No PostgreSQL server: set CONSENTKIT_TEST_POSTGRES to a connection string, or run `bash .ci/run`, which starts one.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("Under CI=true the PostgreSQL tests must run. " + how);
        }

        Assert.Skip(how);
        return null!;
    }

    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..16];

    public static void DropSchema(string? schema)
    {
        if (schema is null)
        {
            return;
        }

        using var connection = new NpgsqlConnection(PostgreSqlConnection());
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE;", connection);
        drop.ExecuteNonQuery();
    }
}
