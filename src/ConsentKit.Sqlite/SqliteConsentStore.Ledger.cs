using System.Text.Json;
using ConsentKit.Storage;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>The data-use ledger half of <see cref="SqliteConsentStore"/>: tables <c>data_uses</c> and <c>data_use_subjects</c>.</summary>
public sealed partial class SqliteConsentStore : IDataUseLedger
{
    private const string DataUseColumns =
        "d.id, d.purpose_id, d.description, d.started_at, d.ended_at, d.status, d.subject_count, d.items_seen, d.items_kept, d.failure_reason";

    /// <inheritdoc />
    public async ValueTask<DataUse> StartAsync(NewDataUse dataUse, CancellationToken cancellationToken = default)
    {
        DataUseRules.Validate(dataUse);
        await WriteAsync(writer =>
        {
            using var transaction = writer.BeginTransaction(deferred: false);
            using var command = writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT OR IGNORE INTO data_uses (id, purpose_id, description, started_at, status) VALUES ($id, $purpose, $description, $started, 1);";
            command.Parameters.AddWithValue("$id", dataUse.Id);
            command.Parameters.AddWithValue("$purpose", dataUse.PurposeId);
            command.Parameters.AddWithValue("$description", dataUse.Description);
            command.Parameters.AddWithValue("$started", dataUse.StartedAt.UtcTicks);
            if (command.ExecuteNonQuery() == 0)
            {
                throw new ArgumentException($"A data use with id '{dataUse.Id}' already exists.", "dataUse.Id");
            }

            new SqliteProofLogWriter(Statements(writer), transaction)
                .Append(ConsentProofEntryKind.DataUseStarted, ConsentProofLog.DataUseStarted(dataUse), dataUseId: dataUse.Id);

            transaction.Commit();
            return 0;
        }, cancellationToken);
        return (await GetAsync(dataUse.Id, cancellationToken))!;
    }

    /// <inheritdoc />
    public async ValueTask AddSubjectsAsync(string dataUseId, IReadOnlyList<DataUseSubject> subjects, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        ArgumentNullException.ThrowIfNull(subjects);
        if (subjects.Any(s => s?.SubjectId is null))
        {
            throw new ArgumentException("Every subject needs a subject id; nothing was written.", nameof(subjects));
        }

        await WriteAsync(writer =>
        {
            using var transaction = writer.BeginTransaction(deferred: false);
            EnsureRunning(writer, transaction, dataUseId);
            // Set-based: the registry lookups and inserts run inside SQLite, one statement per batch (per row
            // from .NET it measured ≈ 30 µs a subject). Subjects the registry does not know yet — rare, as a
            // run's subjects have records — are registered first, one by one.
            var rows = JsonSerializer.Serialize(subjects.Select(s => new LedgerRow(s.SubjectId, s.ConsentSequence)).ToArray(), SqliteJson.Default.LedgerRowArray);
            var log = new SqliteProofLogWriter(Statements(writer), transaction);
            var registry = new SqliteSubjectRegistry(Statements(writer), transaction, log);
            using (var missing = writer.CreateCommand())
            {
                missing.Transaction = transaction;
                missing.CommandText =
                    "SELECT DISTINCT json_extract(j.value, '$.s') FROM json_each($rows) j " +
                    "WHERE NOT EXISTS (SELECT 1 FROM consent_subjects r WHERE r.subject_id = json_extract(j.value, '$.s'));";
                missing.Parameters.AddWithValue("$rows", rows);
                var unknown = new List<string>();
                using (var reader = missing.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        unknown.Add(reader.GetString(0));
                    }
                }

                foreach (var subjectId in unknown)
                {
                    // By pseudonymous key, so erasing the subject unlinks these rows too; the counts stay.
                    registry.GetOrCreate(subjectId);
                }
            }

            using var insert = writer.CreateCommand();
            insert.Transaction = transaction;
            // RETURNING gives the rows actually inserted (a subject already in the use is ignored): those go
            // into the proof log, so a member added or removed later is found.
            insert.CommandText =
                "INSERT OR IGNORE INTO data_use_subjects (data_use_id, subject_key, consent_sequence) " +
                "SELECT $id, r.subject_key, json_extract(j.value, '$.q') FROM json_each($rows) j " +
                "JOIN consent_subjects r ON r.subject_id = json_extract(j.value, '$.s') WHERE true ORDER BY j.key " +
                "RETURNING subject_key, consent_sequence;";
            insert.Parameters.AddWithValue("$id", dataUseId);
            insert.Parameters.AddWithValue("$rows", rows);
            var inserted = new List<(byte[], long)>();
            using (var reader = insert.ExecuteReader())
            {
                while (reader.Read())
                {
                    inserted.Add(((byte[])reader[0], reader.GetInt64(1)));
                }
            }

            var added = inserted.Count;
            if (added > 0)
            {
                log.Append(ConsentProofEntryKind.DataUseSubjectsAdded, ConsentProofLog.DataUseSubjectsAdded(dataUseId, inserted), dataUseId: dataUseId);
            }

            using var count = writer.CreateCommand();
            count.Transaction = transaction;
            count.CommandText = "UPDATE data_uses SET subject_count = subject_count + $added WHERE id = $id;";
            count.Parameters.AddWithValue("$added", added);
            count.Parameters.AddWithValue("$id", dataUseId);
            count.ExecuteNonQuery();
            transaction.Commit();
            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<DataUse> CompleteAsync(string dataUseId, DateTimeOffset endedAt, long itemsSeen, long itemsKept, CancellationToken cancellationToken = default) =>
        EndAsync(dataUseId, DataUseStatus.Completed, endedAt, itemsSeen, itemsKept, null, cancellationToken);

    /// <inheritdoc />
    public ValueTask<DataUse> FailAsync(string dataUseId, DateTimeOffset endedAt, string reason, CancellationToken cancellationToken = default) =>
        EndAsync(dataUseId, DataUseStatus.Failed, endedAt, null, null, reason, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<DataUse?> GetAsync(string dataUseId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        var found = await QueryDataUsesAsync($"SELECT {DataUseColumns} FROM data_uses d WHERE d.id = $id;", c => c.Parameters.AddWithValue("$id", dataUseId), cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUse>> ListAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return QueryDataUsesAsync($"SELECT {DataUseColumns} FROM data_uses d ORDER BY d.rowid DESC LIMIT $limit;", c => c.Parameters.AddWithValue("$limit", limit), cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<DataUseSubject>> GetSubjectsAsync(string dataUseId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return Guard("read", () =>
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText =
                "SELECT COALESCE(r.subject_id, 'erased:' || lower(hex(s.subject_key))), s.consent_sequence FROM data_use_subjects s " +
                "LEFT JOIN consent_subjects r ON r.subject_key = s.subject_key WHERE s.data_use_id = $id ORDER BY s.consent_sequence, 1;";
            command.Parameters.AddWithValue("$id", dataUseId);
            using var reader = command.ExecuteReader();
            var result = new List<DataUseSubject>();
            while (reader.Read())
            {
                result.Add(new DataUseSubject { SubjectId = reader.GetString(0), ConsentSequence = reader.GetInt64(1) });
            }

            return (IReadOnlyList<DataUseSubject>)result;
        });
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUse>> FindBySubjectAsync(string subjectId, string? purposeId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        return QueryDataUsesAsync(
            $"SELECT {DataUseColumns} FROM consent_subjects r JOIN data_use_subjects s ON s.subject_key = r.subject_key JOIN data_uses d ON d.id = s.data_use_id " +
            "WHERE r.subject_id = $subject AND ($purpose IS NULL OR d.purpose_id = $purpose) ORDER BY d.rowid;",
            c =>
            {
                c.Parameters.AddWithValue("$subject", subjectId);
                c.Parameters.AddWithValue("$purpose", (object?)purposeId ?? DBNull.Value);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUse>> FindAffectedByAsync(ConsentRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return QueryDataUsesAsync(
            $"SELECT {DataUseColumns} FROM data_use_subjects s JOIN data_uses d ON d.id = s.data_use_id " +
            "WHERE s.subject_key = COALESCE($key, (SELECT r.subject_key FROM consent_subjects r WHERE r.subject_id = $subject)) AND s.consent_sequence < $sequence " +
            "AND (d.purpose_id = $purpose OR substr(d.purpose_id, 1, length($purpose) + 1) = $purpose || '.') ORDER BY d.rowid;",
            c =>
            {
                c.Parameters.AddWithValue("$subject", record.SubjectId);
                c.Parameters.AddWithValue("$key", record.SubjectKey.IsEmpty ? DBNull.Value : record.SubjectKey.ToArray());
                c.Parameters.AddWithValue("$sequence", record.Sequence);
                c.Parameters.AddWithValue("$purpose", record.PurposeId);
            },
            cancellationToken);
    }

    private async ValueTask<DataUse> EndAsync(
        string dataUseId, DataUseStatus status, DateTimeOffset endedAt, long? itemsSeen, long? itemsKept, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        await WriteAsync(writer =>
        {
            using var transaction = writer.BeginTransaction(deferred: false);
            EnsureRunning(writer, transaction, dataUseId);
            using var command = writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText =
                "UPDATE data_uses SET status = $status, ended_at = $ended, items_seen = $seen, items_kept = $kept, failure_reason = $reason WHERE id = $id;";
            command.Parameters.AddWithValue("$status", (int)status);
            command.Parameters.AddWithValue("$ended", endedAt.UtcTicks);
            command.Parameters.AddWithValue("$seen", (object?)itemsSeen ?? DBNull.Value);
            command.Parameters.AddWithValue("$kept", (object?)itemsKept ?? DBNull.Value);
            command.Parameters.AddWithValue("$reason", (object?)reason ?? DBNull.Value);
            command.Parameters.AddWithValue("$id", dataUseId);
            command.ExecuteNonQuery();
            new SqliteProofLogWriter(Statements(writer), transaction)
                .Append(ConsentProofEntryKind.DataUseEnded, ConsentProofLog.DataUseEnded(dataUseId, status, endedAt, itemsSeen, itemsKept, reason), dataUseId: dataUseId);
            transaction.Commit();
            return 0;
        }, cancellationToken);
        return (await GetAsync(dataUseId, cancellationToken))!;
    }

    private static void EnsureRunning(SqliteConnection writer, SqliteTransaction transaction, string dataUseId)
    {
        using var command = writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT status FROM data_uses WHERE id = $id;";
        command.Parameters.AddWithValue("$id", dataUseId);
        switch (command.ExecuteScalar())
        {
            case null:
                throw new ArgumentException($"No data use with id '{dataUseId}'.", nameof(dataUseId));
            case long status when status != (long)DataUseStatus.Running:
                throw new InvalidOperationException($"Data use '{dataUseId}' has already ended ({(DataUseStatus)status}).");
        }
    }

    private async ValueTask<IReadOnlyList<DataUse>> QueryDataUsesAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return Guard("read", () =>
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            bind(command);
            using var reader = command.ExecuteReader();
            var result = new List<DataUse>();
            while (reader.Read())
            {
                result.Add(StoredRows.ReadDataUse(reader));
            }

            return (IReadOnlyList<DataUse>)result;
        });
    }
}
