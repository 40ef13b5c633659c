using ConsentKit.Tampering;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>
/// The tampering suite on PostgreSQL, changed by a superuser with every trigger switched off
/// (<c>session_replication_role = replica</c>, which also skips foreign keys). A schema per test.
/// </summary>
public sealed class TamperTests : TamperSuite, IAsyncLifetime
{
    private readonly string _schema = TestServer.NewSchemaName();

    protected override void UseStore(IConsentKitBuilder kit) => kit.UsePostgreSqlStore(o =>
    {
        o.ConnectionString = TestServer.ConnectionString;
        o.SchemaName = _schema;
    });

    protected override async Task TamperAsync(string sql, IReadOnlyDictionary<string, object>? parameters = null)
    {
        await using var connection = new NpgsqlConnection(TestServer.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SET session_replication_role = replica; SET search_path TO {_schema}; " + sql, connection);
        foreach (var (name, value) in parameters ?? new Dictionary<string, object>())
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    protected override string SetCounterBack(long sequence) => $"UPDATE consent_sequence_counter SET sequence = {sequence};";

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await TestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE;");
}
