using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>Bulk reads of many subjects' current state, for pipelines.</summary>
public sealed partial class SqliteConsentStore
{
    // The ids travel as one JSON array parameter per chunk (always bound, never spliced into SQL) and
    // json_each turns them into rows; measured against chunked parameters and a temporary table
    // (docs/performance.md), it was the fastest of the three.
    private void ReadMany(SqliteConnection connection, string[] ids, List<ConsentRecord> result, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, CurrentSelect, "s.subject_id IN (SELECT value FROM json_each($subjects))") + ";";
        var parameter = command.Parameters.Add("$subjects", SqliteType.Text);
        for (var offset = 0; offset < ids.Length; offset += _chunkSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            parameter.Value = JsonSerializer.Serialize(ids[offset..Math.Min(ids.Length, offset + _chunkSize)], SqliteJson.Default.StringArray);
            using var reader = command.ExecuteReader();
            ReadAll(reader, result);
        }
    }
}
