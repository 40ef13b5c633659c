using ConsentKit.PostgreSql;
using ConsentKit.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ConsentKit.Benchmarks;

/// <summary>A fresh store of a kind for one benchmark class (<c>memory</c>, <c>sqlite</c>, <c>postgresql</c>), and its removal.</summary>
internal sealed class BenchmarkStore : IAsyncDisposable
{
    private readonly string _directory = string.Empty;
    private readonly string _schema = string.Empty;

    public BenchmarkStore(string kind)
    {
        switch (kind)
        {
            case "memory":
                Store = new InMemoryConsentStore();
                break;
            case "sqlite":
                _directory = Path.Combine(Path.GetTempPath(), "consentkit-bench", Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(_directory);
                Store = new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = $"Data Source={Path.Combine(_directory, "consent.db")}" });
                break;
            default:
                _schema = BenchmarkServer.NewSchemaName();
                Store = new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = BenchmarkServer.ConnectionString, SchemaName = _schema });
                break;
        }
    }

    public IConsentStore Store { get; }

    public async ValueTask DisposeAsync()
    {
        switch (Store)
        {
            case SqliteConsentStore sqlite:
                sqlite.Dispose();
                SqliteConnection.ClearAllPools();
                Directory.Delete(_directory, recursive: true);
                break;
            case PostgreSqlConsentStore postgres:
                await postgres.DisposeAsync();
                await using (var connection = new NpgsqlConnection(BenchmarkServer.ConnectionString))
                {
                    await connection.OpenAsync();
                    await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE;", connection);
                    await drop.ExecuteNonQueryAsync();
                }

                break;
        }
    }
}
