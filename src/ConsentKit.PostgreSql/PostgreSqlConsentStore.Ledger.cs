using ConsentKit.Storage;
using Npgsql;
using NpgsqlTypes;

namespace ConsentKit.PostgreSql;

/// <summary>The data-use ledger half of <see cref="PostgreSqlConsentStore"/>: tables <c>data_uses</c> and <c>data_use_subjects</c>.</summary>
public sealed partial class PostgreSqlConsentStore : IDataUseLedger
{
    private const string DataUseColumns =
        "d.id, d.purpose_id, d.description, d.started_at, d.ended_at, d.status, d.subject_count, d.items_seen, d.items_kept, d.failure_reason";

    /// <inheritdoc />
    public async ValueTask<DataUse> StartAsync(NewDataUse dataUse, CancellationToken cancellationToken = default)
    {
        DataUseRules.Validate(dataUse);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        var inserted = await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using var command = new NpgsqlCommand(
                $"INSERT INTO {_schema}.data_uses (id, purpose_id, description, started_at, status) VALUES ($1, $2, $3, $4, 1) ON CONFLICT (id) DO NOTHING;",
                connection,
                transaction);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataUse.Id });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataUse.PurposeId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataUse.Description });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = dataUse.StartedAt.UtcTicks });
            var count = await command.ExecuteNonQueryAsync(ct);
            if (count > 0)
            {
                await PostgreSqlProofLog.AppendAsync(
                    connection, transaction, _schema, [new(ConsentProofEntryKind.DataUseStarted, ConsentProofLog.DataUseStarted(dataUse), DataUseId: dataUse.Id)], ct);
            }

            await transaction.CommitAsync(ct);
            return count;
        }, cancellationToken);
        if (inserted == 0)
        {
            throw new ArgumentException($"A data use with id '{dataUse.Id}' already exists.", "dataUse.Id");
        }

        return (await GetAsync(dataUse.Id, cancellationToken))!;
    }

    /// <summary>Adds subjects whose data went in, streamed to the server with binary <c>COPY</c>.</summary>
    /// <inheritdoc />
    public async ValueTask AddSubjectsAsync(string dataUseId, IReadOnlyList<DataUseSubject> subjects, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        ArgumentNullException.ThrowIfNull(subjects);
        if (subjects.Any(s => s?.SubjectId is null))
        {
            throw new ArgumentException("Every subject needs a subject id; nothing was written.", nameof(subjects));
        }

        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await EnsureRunningAsync(connection, transaction, dataUseId, ct);

            // The proof log's lock first: the subjects registered here and the members added enter the log in order.
            await PostgreSqlProofLog.LockAsync(connection, transaction, _schema, ct);
            await using (var create = new NpgsqlCommand(
                "CREATE TEMP TABLE IF NOT EXISTS consentkit_new_subjects (subject_id text NOT NULL, consent_sequence bigint NOT NULL) ON COMMIT DELETE ROWS;",
                connection,
                transaction))
            {
                await create.ExecuteNonQueryAsync(ct);
            }

            // A subject already recorded for the use keeps its first entry, within a call as across calls.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            await using (var copy = await connection.BeginBinaryImportAsync("COPY consentkit_new_subjects (subject_id, consent_sequence) FROM STDIN (FORMAT BINARY)", ct))
            {
                foreach (var subject in subjects)
                {
                    if (seen.Add(subject.SubjectId))
                    {
                        await copy.StartRowAsync(ct);
                        await copy.WriteAsync(subject.SubjectId, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(subject.ConsentSequence, NpgsqlDbType.Bigint, ct);
                    }
                }

                await copy.CompleteAsync(ct);
            }

            // By pseudonymous key, so erasing the subject unlinks these rows too; the counts stay. The secret is
            // made here (the proof log's registration commits to the id under it); the rows registered and the
            // members added come back for the log.
            var log = new List<ProofLogItem>();
            await using (var unknown = new NpgsqlCommand(
                $"SELECT subject_id FROM consentkit_new_subjects n WHERE NOT EXISTS (SELECT 1 FROM {_schema}.consent_subjects r WHERE r.subject_id = n.subject_id);",
                connection,
                transaction))
            {
                var ids = new List<string>();
                await using (var reader = await unknown.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct))
                    {
                        ids.Add(reader.GetString(0));
                    }
                }

                if (ids.Count > 0)
                {
                    var keys = ids.Select(_ => ConsentSubjectSecrets.NewSubjectKey()).ToArray();
                    var secrets = ids.Select(_ => ConsentSubjectSecrets.NewSecret()).ToArray();
                    await using var register = new NpgsqlCommand(
                        $"INSERT INTO {_schema}.consent_subjects (subject_id, subject_key, secret) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[]) " +
                        "ON CONFLICT (subject_id) DO NOTHING RETURNING subject_id, subject_key, secret;",
                        connection,
                        transaction);
                    register.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
                    register.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = keys });
                    register.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = secrets });
                    await using var reader = await register.ExecuteReaderAsync(ct);
                    while (await reader.ReadAsync(ct))
                    {
                        var key = (byte[])reader[1];
                        log.Add(new(ConsentProofEntryKind.SubjectRegistered, ConsentProofLog.SubjectRegistered(reader.GetString(0), key, (byte[])reader[2]), key));
                    }
                }
            }

            var members = new List<(byte[], long)>();
            await using (var insert = new NpgsqlCommand(
                $"INSERT INTO {_schema}.data_use_subjects (data_use_id, subject_key, consent_sequence) " +
                $"SELECT $1, r.subject_key, n.consent_sequence FROM consentkit_new_subjects n JOIN {_schema}.consent_subjects r USING (subject_id) " +
                "ON CONFLICT DO NOTHING RETURNING subject_key, consent_sequence;",
                connection,
                transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataUseId });
                await using var reader = await insert.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    members.Add(((byte[])reader[0], reader.GetInt64(1)));
                }
            }

            if (members.Count > 0)
            {
                log.Add(new(ConsentProofEntryKind.DataUseSubjectsAdded, ConsentProofLog.DataUseSubjectsAdded(dataUseId, members), DataUseId: dataUseId));
                await using var count = new NpgsqlCommand($"UPDATE {_schema}.data_uses SET subject_count = subject_count + $2 WHERE id = $1;", connection, transaction);
                count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataUseId });
                count.Parameters.Add(new NpgsqlParameter<long> { TypedValue = members.Count });
                await count.ExecuteNonQueryAsync(ct);
            }

            await PostgreSqlProofLog.AppendAsync(connection, transaction, _schema, log, ct);
            await transaction.CommitAsync(ct);
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
        var found = await QueryDataUsesAsync(
            $"SELECT {DataUseColumns} FROM {_schema}.data_uses d WHERE d.id = $1;",
            c => c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataUseId }),
            cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUse>> ListAsync(int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return QueryDataUsesAsync(
            $"SELECT {DataUseColumns} FROM {_schema}.data_uses d ORDER BY d.position DESC LIMIT $1;",
            c => c.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit }),
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUseSubject>> GetSubjectsAsync(string dataUseId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        return QueryAsync(
            $"SELECT COALESCE(r.subject_id, 'erased:' || encode(s.subject_key, 'hex')), s.consent_sequence FROM {_schema}.data_use_subjects s " +
            $"LEFT JOIN {_schema}.consent_subjects r ON r.subject_key = s.subject_key WHERE s.data_use_id = $1 ORDER BY s.consent_sequence, 1;",
            c => c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataUseId }),
            reader => new DataUseSubject { SubjectId = reader.GetString(0), ConsentSequence = reader.GetInt64(1) },
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUse>> FindBySubjectAsync(string subjectId, string? purposeId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        return QueryDataUsesAsync(
            $"SELECT {DataUseColumns} FROM {_schema}.consent_subjects r JOIN {_schema}.data_use_subjects s ON s.subject_key = r.subject_key JOIN {_schema}.data_uses d ON d.id = s.data_use_id " +
            "WHERE r.subject_id = $1 AND ($2::text IS NULL OR d.purpose_id = $2) ORDER BY d.position;",
            c =>
            {
                c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId });
                c.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = purposeId, NpgsqlDbType = NpgsqlDbType.Text });
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DataUse>> FindAffectedByAsync(ConsentRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return QueryDataUsesAsync(
            $"SELECT {DataUseColumns} FROM {_schema}.data_use_subjects s JOIN {_schema}.data_uses d ON d.id = s.data_use_id " +
            $"WHERE s.subject_key = COALESCE($4, (SELECT r.subject_key FROM {_schema}.consent_subjects r WHERE r.subject_id = $1)) AND s.consent_sequence < $2 AND (d.purpose_id = $3 OR left(d.purpose_id, length($3) + 1) = $3 || '.') ORDER BY d.position;",
            c =>
            {
                c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.SubjectId });
                c.Parameters.Add(new NpgsqlParameter<long> { TypedValue = record.Sequence });
                c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = record.PurposeId });
                c.Parameters.Add(new NpgsqlParameter<byte[]?> { TypedValue = record.SubjectKey.IsEmpty ? null : record.SubjectKey.ToArray(), NpgsqlDbType = NpgsqlDbType.Bytea });
            },
            cancellationToken);
    }

    private async ValueTask<DataUse> EndAsync(
        string dataUseId, DataUseStatus status, DateTimeOffset endedAt, long? itemsSeen, long? itemsKept, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataUseId);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await EnsureRunningAsync(connection, transaction, dataUseId, ct);
            await using var command = new NpgsqlCommand(
                $"UPDATE {_schema}.data_uses SET status = $1, ended_at = $2, items_seen = $3, items_kept = $4, failure_reason = $5 WHERE id = $6;",
                connection,
                transaction);
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)status });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = endedAt.UtcTicks });
            command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = itemsSeen, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = itemsKept, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = reason, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataUseId });
            await command.ExecuteNonQueryAsync(ct);
            await PostgreSqlProofLog.AppendAsync(
                connection,
                transaction,
                _schema,
                [new(ConsentProofEntryKind.DataUseEnded, ConsentProofLog.DataUseEnded(dataUseId, status, endedAt, itemsSeen, itemsKept, reason), DataUseId: dataUseId)],
                ct);
            await transaction.CommitAsync(ct);
            return 0;
        }, cancellationToken);
        return (await GetAsync(dataUseId, cancellationToken))!;
    }

    private async Task EnsureRunningAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string dataUseId, CancellationToken cancellationToken)
    {
        // FOR UPDATE: a concurrent Complete and AddSubjects are ordered, so nothing is added after the end.
        await using var command = new NpgsqlCommand($"SELECT status FROM {_schema}.data_uses WHERE id = $1 FOR UPDATE;", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = dataUseId });
        switch (await command.ExecuteScalarAsync(cancellationToken))
        {
            case null:
                throw new ArgumentException($"No data use with id '{dataUseId}'.", nameof(dataUseId));
            case short status when status != (short)DataUseStatus.Running:
                throw new InvalidOperationException($"Data use '{dataUseId}' has already ended ({(DataUseStatus)status}).");
        }
    }

    private ValueTask<IReadOnlyList<DataUse>> QueryDataUsesAsync(string sql, Action<NpgsqlCommand> bind, CancellationToken cancellationToken) =>
        QueryAsync(sql, bind, StoredRows.ReadDataUse, cancellationToken);
}
