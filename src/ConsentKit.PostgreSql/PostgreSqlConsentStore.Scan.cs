using System.Runtime.CompilerServices;
using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary>The purpose-wide scan as a stream (<see cref="IConsentStreamingScan"/>), for snapshots of millions of subjects.</summary>
public sealed partial class PostgreSqlConsentStore : IConsentStreamingScan
{
    /// <inheritdoc />
    public async ValueTask<ConsentPurposeScanStream> OpenCurrentScanAsync(IReadOnlyCollection<string> purposeIds, CancellationToken cancellationToken = default)
    {
        var purposes = ScanArguments.Purposes(purposeIds);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return await GuardAsync("read", async ct =>
        {
            var connection = await _dataSource.OpenConnectionAsync(ct);
            try
            {
                // One snapshot for the watermark and every row, as ScanCurrentAsync; held until the stream is disposed.
                var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
                await using var last = new NpgsqlCommand($"SELECT COALESCE(MAX(sequence), 0) FROM {_schema}.consent_events;", connection, transaction);
                var watermark = (long)(await last.ExecuteScalarAsync(ct))!;
                return new ConsentPurposeScanStream(
                    watermark,
                    StreamCurrentAsync(connection, transaction, purposes),
                    async () =>
                    {
                        await transaction.DisposeAsync();
                        await connection.DisposeAsync();
                    });
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }, cancellationToken);
    }

    private async IAsyncEnumerable<ConsentRecord> StreamCurrentAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string[] purposes, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Three ordered index scans merged, nothing hashed or sorted, so rows flow from the first one and the server
        // holds no table-sized state: each pair's latest record off the log's (subject_key, purpose_id, sequence) index
        // read backwards, its registry row and its registration off covering indexes by the same key (schema 6). The
        // planner would otherwise hash and sort all of it first: at 10M subjects, over a minute before the first row.
        await PostgreSqlSchema.ExecuteAsync(
            connection,
            transaction,
            "SET LOCAL enable_hashjoin = off; SET LOCAL enable_nestloop = off; SET LOCAL enable_sort = off; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off;",
            cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT e.sequence, r.subject_id, e.purpose_id, e.status, e.notice_version, e.recorded_at, e.expires_at, e.method, e.source, e.metadata, r.secret, e.subject_key, 0::bigint, e.notice_digest, " + StoredRows.CheckColumns + " " +
            $"FROM (SELECT DISTINCT ON (subject_key, purpose_id) * FROM {_schema}.consent_events WHERE purpose_id = ANY($1) ORDER BY subject_key DESC, purpose_id DESC, sequence DESC) e " +
            $"JOIN {_schema}.consent_subjects r ON r.subject_key = e.subject_key " +
            $"LEFT JOIN (SELECT subject_key, sequence, payload, previous_hash, hash FROM {_schema}.consent_proof_log WHERE kind = 1 ORDER BY subject_key DESC) l ON l.subject_key = e.subject_key " +
            "ORDER BY e.subject_key DESC;",
            connection,
            transaction)
        {
            // A stream over millions of rows has no statement time-out; the caller's token ends it.
            CommandTimeout = 0,
        };
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = purposes });
        var reader = await GuardAsync("read", command.ExecuteReaderAsync, cancellationToken);
        await using (reader)
        {
            // Registrations are checked once per subject; rows come grouped, so only the current subject is remembered.
            var checkedSubjects = new HashSet<string>(StringComparer.Ordinal);
            string? subject = null;
            while (await GuardAsync("read", reader.ReadAsync, cancellationToken))
            {
                var record = StoredRows.ReadRecord(reader, checkedSubjects);
                if (!string.Equals(record.SubjectId, subject, StringComparison.Ordinal))
                {
                    subject = record.SubjectId;
                    checkedSubjects.Clear();
                    checkedSubjects.Add(subject);
                }

                yield return record;
            }
        }
    }
}
