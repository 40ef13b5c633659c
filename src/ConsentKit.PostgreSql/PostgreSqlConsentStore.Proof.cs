using System.Runtime.CompilerServices;
using ConsentKit.Storage;
using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary>The tamper-evident history, the kept notices and erasure (docs/history-proof.md).</summary>
public sealed partial class PostgreSqlConsentStore
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentChainEntry>> GetChainAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return QueryAsync(
            $"SELECT {StoredRows.ChainColumns} FROM {_schema}.consent_events WHERE sequence > $1 ORDER BY sequence LIMIT $2;",
            c =>
            {
                c.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSequence });
                c.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
            },
            StoredRows.ReadChainEntry,
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentProofEntry>> GetProofLogAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return QueryAsync(
            $"SELECT sequence, kind, payload, previous_hash, hash FROM {_schema}.consent_proof_log WHERE sequence > $1 ORDER BY sequence LIMIT $2;",
            c =>
            {
                c.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSequence });
                c.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
            },
            ReadProofEntry,
            cancellationToken);
    }

    /// <summary>A proof-log entry from the columns sequence, kind, payload, previous hash, hash.</summary>
    private static ConsentProofEntry ReadProofEntry(NpgsqlDataReader reader) => new()
    {
        Sequence = reader.GetInt64(0),
        Kind = (ConsentProofEntryKind)reader.GetInt16(1),
        Payload = (byte[])reader[2],
        PreviousHash = (byte[])reader[3],
        Hash = (byte[])reader[4],
    };

    /// <inheritdoc />
    public async IAsyncEnumerable<ConsentSubjectRegistration> GetSubjectRegistryAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await GuardAsync("read", async ct => await _dataSource.OpenConnectionAsync(ct), cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT subject_id, subject_key, secret FROM {_schema}.consent_subjects;", connection);
        await using var reader = await GuardAsync("read", async ct => await command.ExecuteReaderAsync(ct), cancellationToken);
        while (await GuardAsync("read", reader.ReadAsync, cancellationToken))
        {
            yield return new ConsentSubjectRegistration { SubjectId = reader.GetString(0), SubjectKey = (byte[])reader[1], Secret = (byte[])reader[2] };
        }
    }

    /// <inheritdoc />
    /// <remarks>The high-water row <c>consent_sequence_counter</c>, raised by an append trigger and never lowered.</remarks>
    public async ValueTask<long> GetSequenceCounterAsync(CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync(
            $"SELECT sequence FROM {_schema}.consent_sequence_counter WHERE id = 1;",
            _ => { },
            reader => reader.GetInt64(0),
            cancellationToken);
        return rows.Count == 0 ? 0 : rows[0];
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ConsentCurrentPointer> GetCurrentStateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await GuardAsync("read", async ct => await _dataSource.OpenConnectionAsync(ct), cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT subject_key, purpose_id, sequence FROM {_schema}.consent_current;", connection);
        await using var reader = await GuardAsync("read", async ct => await command.ExecuteReaderAsync(ct), cancellationToken);
        while (await GuardAsync("read", reader.ReadAsync, cancellationToken))
        {
            yield return new ConsentCurrentPointer { SubjectKey = (byte[])reader[0], PurposeId = reader.GetString(1), Sequence = reader.GetInt64(2) };
        }
    }

    /// <inheritdoc />
    public async ValueTask SaveNoticesAsync(IReadOnlyList<ConsentNotice> notices, DateTimeOffset seenAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notices);
        foreach (var notice in notices)
        {
            ArgumentNullException.ThrowIfNull(notice, nameof(notices));
        }

        if (notices.Count == 0)
        {
            return;
        }

        await InitializeAsync(cancellationToken);
        await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var insert = new NpgsqlCommand(
                $"INSERT INTO {_schema}.consent_notices (purpose_id, notice_version, display_name, text, digest, first_seen_at) " +
                "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bigint[]) ON CONFLICT (purpose_id, notice_version) DO NOTHING;",
                connection,
                transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.PurposeId)] });
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.NoticeVersion)] });
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.DisplayName)] });
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.Text)] });
                insert.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. notices.Select(n => n.Digest.ToArray())] });
                insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. notices.Select(_ => seenAt.UtcTicks)] });
                await insert.ExecuteNonQueryAsync(ct);
            }

            // Whatever was there already (written by this call or by another instance) must say the same.
            await using (var read = new NpgsqlCommand(
                $"SELECT n.purpose_id, n.notice_version, n.display_name, n.text FROM {_schema}.consent_notices n " +
                "JOIN unnest($1::text[], $2::text[]) AS p (purpose_id, notice_version) USING (purpose_id, notice_version);",
                connection,
                transaction))
            {
                read.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.PurposeId)] });
                read.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. notices.Select(n => n.NoticeVersion)] });
                var offered = notices.ToDictionary(n => (n.PurposeId, n.NoticeVersion));
                await using var reader = await read.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var kept = new ConsentNotice { PurposeId = reader.GetString(0), NoticeVersion = reader.GetString(1), DisplayName = reader.GetString(2), Text = reader.GetString(3) };
                    if (offered.TryGetValue((kept.PurposeId, kept.NoticeVersion), out var mine) && !kept.SameAs(mine))
                    {
                        throw new ConsentNoticeConflictException(kept, mine);
                    }
                }
            }

            await transaction.CommitAsync(ct);
            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentNotice>> GetNoticesAsync(CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT purpose_id, notice_version, display_name, text FROM {_schema}.consent_notices ORDER BY purpose_id, notice_version;",
            _ => { },
            reader => new ConsentNotice { PurposeId = reader.GetString(0), NoticeVersion = reader.GetString(1), DisplayName = reader.GetString(2), Text = reader.GetString(3) },
            cancellationToken);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentRecord>?> EraseSubjectAsync(string subjectId, DateTimeOffset erasedAt, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        await InitializeAsync(cancellationToken);
        return await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);

            // Under the append lock: no grant can land between reading what is open and the deletion.
            await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKeys.Append}, hashtext('{_schema}'));", connection, transaction))
            {
                await lockCommand.ExecuteNonQueryAsync(ct);
            }

            var open = new List<ConsentRecord>();
            byte[]? key = null;
            await using (var read = new NpgsqlCommand($"SELECT subject_key FROM {_schema}.consent_subjects WHERE subject_id = $1;", connection, transaction))
            {
                read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId });
                key = await read.ExecuteScalarAsync(ct) as byte[];
            }

            if (key is null)
            {
                return null;
            }

            await using (var read = new NpgsqlCommand($"{_currentOne} WHERE e.status = 1 ORDER BY e.sequence;", connection, transaction))
            {
                read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId });
                await using var reader = await read.ExecuteReaderAsync(ct);
                var readRecord = RecordReader();
                while (await reader.ReadAsync(ct))
                {
                    open.Add(readRecord(reader));
                }
            }

            IReadOnlyList<ConsentRecord> closing = open.Count == 0
                ? []
                : await _chain.AppendAsync(connection, transaction, [.. open.Select(g => ConsentErasure.ClosingWithdrawal(g, erasedAt))], sequences: null, ct);

            // The only DELETE ConsentKit ever runs.
            await using (var delete = new NpgsqlCommand($"DELETE FROM {_schema}.consent_subjects WHERE subject_id = $1;", connection, transaction))
            {
                delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId });
                await delete.ExecuteNonQueryAsync(ct);
            }

            // The log tells this deletion from a row deleted outside ConsentKit.
            await PostgreSqlProofLog.AppendAsync(
                connection, transaction, _schema, [new(ConsentProofEntryKind.SubjectErased, ConsentProofLog.SubjectErased(key, erasedAt), key)], ct);

            await NotifyAndCommitAsync(connection, transaction, ct);
            return (IReadOnlyList<ConsentRecord>?)[.. closing.Select(r => ConsentErasure.ErasedRecord(
                r.Sequence, r.SubjectKey, r.PurposeId, r.Status, r.NoticeVersion, r.RecordedAt, r.ExpiresAt, r.Method, r.Source))];
        }, cancellationToken);
    }
}
