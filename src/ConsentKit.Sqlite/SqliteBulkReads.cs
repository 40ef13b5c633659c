using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>The ways a bulk read passes many subject ids to SQLite; measured in the benchmarks.</summary>
public sealed partial class SqliteConsentStore
{
    // The ids travel as one JSON array parameter per chunk (always bound, never spliced into SQL) and
    // json_each turns it into rows.
    private void ReadManyWithJsonEach(SqliteConnection connection, string[] ids, List<ConsentRecord> result, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            $"SELECT {Columns} FROM consent_current c JOIN consent_events e ON e.sequence = c.sequence " +
            "WHERE c.subject_id IN (SELECT value FROM json_each($subjects));";
        var parameter = command.Parameters.Add("$subjects", SqliteType.Text);
        for (var offset = 0; offset < ids.Length; offset += _chunkSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            parameter.Value = JsonSerializer.Serialize(ids[offset..Math.Min(ids.Length, offset + _chunkSize)], SqliteJson.Default.StringArray);
            using var reader = command.ExecuteReader();
            ReadAll(reader, result);
        }
    }

    private static void ReadManyWithParameters(SqliteConnection connection, string[] ids, List<ConsentRecord> result, CancellationToken cancellationToken)
    {
        const int perStatement = 500;
        for (var offset = 0; offset < ids.Length; offset += perStatement)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(perStatement, ids.Length - offset);
            using var command = connection.CreateCommand();
            var names = new string[count];
            for (var i = 0; i < count; i++)
            {
                names[i] = "$s" + i.ToString(CultureInfo.InvariantCulture);
                command.Parameters.AddWithValue(names[i], ids[offset + i]);
            }

            command.CommandText =
                $"SELECT {Columns} FROM consent_current c JOIN consent_events e ON e.sequence = c.sequence " +
                $"WHERE c.subject_id IN ({string.Join(", ", names)});";
            using var reader = command.ExecuteReader();
            ReadAll(reader, result);
        }
    }

    private static void ReadManyWithTempTable(SqliteConnection connection, string[] ids, List<ConsentRecord> result)
    {
        using var transaction = connection.BeginTransaction(deferred: true);
        using (var create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = "CREATE TEMP TABLE IF NOT EXISTS consentkit_ids (id TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.consentkit_ids;";
            create.ExecuteNonQuery();
        }

        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR IGNORE INTO temp.consentkit_ids (id) VALUES ($id);";
            var parameter = insert.Parameters.Add("$id", SqliteType.Text);
            insert.Prepare();
            foreach (var id in ids)
            {
                parameter.Value = id;
                insert.ExecuteNonQuery();
            }
        }

        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText =
                $"SELECT {Columns} FROM temp.consentkit_ids i JOIN consent_current c ON c.subject_id = i.id JOIN consent_events e ON e.sequence = c.sequence;";
            using var reader = select.ExecuteReader();
            ReadAll(reader, result);
        }

        transaction.Rollback();
    }
}

/// <summary>Ways to pass many subject ids to SQLite in a bulk read.</summary>
internal enum SqliteBulkReadStrategy
{
    /// <summary>One JSON array parameter per chunk, expanded by <c>json_each</c>.</summary>
    JsonEach,

    /// <summary>500 bound parameters per statement.</summary>
    ChunkedParameters,

    /// <summary>Ids inserted into a temporary table, then joined.</summary>
    TempTable,
}
