using Npgsql;
using NpgsqlTypes;

namespace ConsentKit.PostgreSql;

/// <summary>One thing for the proof log to record: what it says, and the key or data use it indexes.</summary>
internal readonly record struct ProofLogItem(ConsentProofEntryKind Kind, byte[] Payload, byte[]? SubjectKey = null, string? DataUseId = null);

/// <summary>
/// Appends to the proof log (<see cref="ConsentProofLog"/>) inside a transaction. The log has its own
/// advisory lock, taken before the log's head is read and held until commit, so its sequences are dense
/// and commit in order; an append of records takes it after the append lock (always in that order).
/// </summary>
internal static class PostgreSqlProofLog
{
    /// <summary>Takes the log's lock (a no-op when this transaction holds it already).</summary>
    public static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKeys.ProofLog}, hashtext('{schema}'));", connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Takes the log's lock, then reads its head: the last sequence and hash, or 0 and the genesis hash.</summary>
    private static async Task<(long Sequence, ReadOnlyMemory<byte> Hash)> LockAndReadHeadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema, CancellationToken cancellationToken)
    {
        await LockAsync(connection, transaction, schema, cancellationToken);
        await using var head = new NpgsqlCommand($"SELECT sequence, hash FROM {schema}.consent_proof_log ORDER BY sequence DESC LIMIT 1;", connection, transaction);
        await using var reader = await head.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), (byte[])reader[1]) : (0, ConsentChain.GenesisHash);
    }

    /// <summary>Appends <paramref name="items"/> in order, taking the log's lock first; returns the entries appended.</summary>
    public static async Task<IReadOnlyList<ConsentProofEntry>> AppendAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema, IReadOnlyList<ProofLogItem> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return [];
        }

        var (last, lastHash) = await LockAndReadHeadAsync(connection, transaction, schema, cancellationToken);

        var sequences = new long[items.Count];
        var kinds = new short[items.Count];
        var keys = new byte[]?[items.Count];
        var uses = new string?[items.Count];
        var payloads = new byte[items.Count][];
        var previous = new byte[items.Count][];
        var hashes = new byte[items.Count][];
        var entries = new ConsentProofEntry[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var entry = entries[i] = ConsentProofLog.CreateEntry(last + 1 + i, items[i].Kind, items[i].Payload, lastHash.Span);
            sequences[i] = entry.Sequence;
            kinds[i] = (short)entry.Kind;
            keys[i] = items[i].SubjectKey;
            uses[i] = items[i].DataUseId;
            payloads[i] = items[i].Payload;
            previous[i] = entry.PreviousHash.ToArray();
            hashes[i] = entry.Hash.ToArray();
            lastHash = entry.Hash;
        }

        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {schema}.consent_proof_log (sequence, kind, subject_key, data_use_id, payload, previous_hash, hash) " +
            "SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::bytea[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[]);",
            connection,
            transaction);
        insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = sequences });
        insert.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = kinds });
        insert.Parameters.Add(new NpgsqlParameter<byte[]?[]> { TypedValue = keys });
        insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = uses });
        insert.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads });
        insert.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = previous });
        insert.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = hashes });
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return entries;
    }

    /// <summary>As <see cref="AppendAsync"/>, with binary <c>COPY</c>: for the bulk path's thousands of registrations.</summary>
    public static async Task CopyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, IReadOnlyList<ProofLogItem> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return;
        }

        var (last, lastHash) = await LockAndReadHeadAsync(connection, transaction, schema, cancellationToken);

        await using var copy = await connection.BeginBinaryImportAsync(
            $"COPY {schema}.consent_proof_log (sequence, kind, subject_key, data_use_id, payload, previous_hash, hash) FROM STDIN (FORMAT BINARY)", cancellationToken);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var entry = ConsentProofLog.CreateEntry(last + 1 + i, item.Kind, item.Payload, lastHash.Span);
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(entry.Sequence, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync((short)entry.Kind, NpgsqlDbType.Smallint, cancellationToken);
            if (item.SubjectKey is null)
            {
                await copy.WriteNullAsync(cancellationToken);
            }
            else
            {
                await copy.WriteAsync(item.SubjectKey, NpgsqlDbType.Bytea, cancellationToken);
            }

            if (item.DataUseId is null)
            {
                await copy.WriteNullAsync(cancellationToken);
            }
            else
            {
                await copy.WriteAsync(item.DataUseId, NpgsqlDbType.Text, cancellationToken);
            }

            await copy.WriteAsync(item.Payload, NpgsqlDbType.Bytea, cancellationToken);
            await copy.WriteAsync(entry.PreviousHash, NpgsqlDbType.Bytea, cancellationToken);
            await copy.WriteAsync(entry.Hash, NpgsqlDbType.Bytea, cancellationToken);
            lastHash = entry.Hash;
        }

        await copy.CompleteAsync(cancellationToken);
    }
}
