using ConsentKit.Tampering;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Sqlite.Tests;

/// <summary>The tampering suite on a SQLite file whose triggers the attacker dropped (anyone with write access to the file can).</summary>
public sealed class TamperTests : TamperSuite, IDisposable
{
    private readonly TempDatabase _database = new();

    protected override void UseStore(IConsentKitBuilder kit) => kit.UseSqliteStore(_database.ConnectionString);

    protected override Task TamperAsync(string sql, IReadOnlyDictionary<string, object>? parameters = null)
    {
        using var connection = _database.OpenRaw();
        var triggers = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'trigger';";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                triggers.Add(reader.GetString(0));
            }
        }

        using var command = connection.CreateCommand();
        command.CommandText = string.Concat(triggers.Select(t => $"DROP TRIGGER \"{t}\"; ")) + sql;
        foreach (var (name, value) in parameters ?? new Dictionary<string, object>())
        {
            command.Parameters.AddWithValue("@" + name, value);
        }

        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    protected override string SetCounterBack(long sequence) => $"UPDATE sqlite_sequence SET seq = {sequence} WHERE name = 'consent_events';";

    public void Dispose() => _database.Dispose();
}
