using Npgsql;
using NpgsqlTypes;

namespace ConsentKit.PostgreSql;

/// <summary>
/// The bulk path of <see cref="PostgreSqlConsentStore.AppendManyAsync"/> (imports, backfills): the same rows as
/// <see cref="PostgreSqlChainWriter"/> writes — registry entries with their proof-log registrations, then the
/// records linked into the chain — but sent with binary <c>COPY</c> instead of array parameters, in one
/// transaction that holds the append lock.
/// </summary>
/// <remarks>
/// Measured on 50,000 new subjects per call: array parameters spent 2.0 s of server time per call; the
/// difference is in docs/performance.md ("10M subjects").
/// </remarks>
internal static class PostgreSqlBulkAppend
{
    /// <summary>From this many records on, <see cref="PostgreSqlConsentStore.AppendManyAsync"/> takes the bulk path.</summary>
    public const int Threshold = 5_000;

    public static async Task<IReadOnlyList<ConsentRecord>> AppendAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, PostgreSqlChainWriter chain, IReadOnlyList<NewConsentRecord> records, CancellationToken cancellationToken)
    {
        await PostgreSqlSchema.ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({LockKeys.Append}, hashtext('{schema}'));", cancellationToken);
        var subjectIds = records.Select(r => r.SubjectId).Distinct(StringComparer.Ordinal).ToArray();

        long previousSequence = 0;
        ReadOnlyMemory<byte> previousHash = ConsentChain.GenesisHash;
        var entries = new Dictionary<string, (byte[] Key, byte[] Secret)>(subjectIds.Length, StringComparer.Ordinal);
        await using (var read = new NpgsqlBatch(connection, transaction))
        {
            read.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT sequence, hash FROM {schema}.consent_events ORDER BY sequence DESC LIMIT 1;"));
            var registry = new NpgsqlBatchCommand($"SELECT subject_id, subject_key, secret FROM {schema}.consent_subjects WHERE subject_id = ANY($1);");
            registry.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = subjectIds });
            read.BatchCommands.Add(registry);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                previousSequence = reader.GetInt64(0);
                previousHash = (byte[])reader[1];
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                entries[reader.GetString(0)] = ((byte[])reader[1], (byte[])reader[2]);
            }
        }

        if (entries.Count < subjectIds.Length)
        {
            await RegisterAsync(connection, transaction, schema, [.. subjectIds.Where(id => !entries.ContainsKey(id))], entries, cancellationToken);
        }

        var digests = await chain.NoticeDigestsAsync(connection, transaction, records, cancellationToken);
        var stored = new ConsentRecord[records.Count];
        await using (var copy = await connection.BeginBinaryImportAsync(
            $"COPY {schema}.consent_events (sequence, previous_sequence, subject_key, purpose_id, status, notice_version, notice_digest, recorded_at, expires_at, method, source, metadata, hash, previous_hash) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            for (var i = 0; i < records.Count; i++)
            {
                var record = records[i];
                var (key, secret) = entries[record.SubjectId];
                var entry = ConsentChain.CreateEntry(
                    record,
                    previousSequence + 1,
                    previousSequence,
                    previousHash.Span,
                    key,
                    secret,
                    digests.TryGetValue((record.PurposeId, record.NoticeVersion), out var digest) ? digest : ConsentChain.NoNoticeDigest);
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(entry.Sequence, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(entry.PreviousSequence, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(key, NpgsqlDbType.Bytea, cancellationToken);
                await copy.WriteAsync(entry.PurposeId, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync((short)entry.Status, NpgsqlDbType.Smallint, cancellationToken);
                await copy.WriteAsync(entry.NoticeVersion, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(entry.NoticeDigest, NpgsqlDbType.Bytea, cancellationToken);
                await copy.WriteAsync(entry.RecordedAtUtcTicks, NpgsqlDbType.Bigint, cancellationToken);
                await WriteNullableAsync(copy, entry.ExpiresAtUtcTicks, cancellationToken);
                await copy.WriteAsync((short)entry.Method, NpgsqlDbType.Smallint, cancellationToken);
                if (entry.Source is null)
                {
                    await copy.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await copy.WriteAsync(entry.Source, NpgsqlDbType.Text, cancellationToken);
                }

                await copy.WriteAsync(entry.SealedMetadata, NpgsqlDbType.Bytea, cancellationToken);
                await copy.WriteAsync(entry.Hash, NpgsqlDbType.Bytea, cancellationToken);
                await copy.WriteAsync(previousHash, NpgsqlDbType.Bytea, cancellationToken);
                stored[i] = new ConsentRecord(entry.Sequence, record, key) { NoticeDigest = entry.NoticeDigest };
                previousSequence = entry.Sequence;
                previousHash = entry.Hash;
            }

            await copy.CompleteAsync(cancellationToken);
        }

        return stored;
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter copy, long? value, CancellationToken cancellationToken)
    {
        if (value is { } v)
        {
            await copy.WriteAsync(v, NpgsqlDbType.Bigint, cancellationToken);
        }
        else
        {
            await copy.WriteNullAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Registers subjects seen for the first time, copied straight into the registry. The ledger registers subjects
    /// too, without this lock; if it registered one of these meanwhile, the copy fails on the unique key and is
    /// undone (a savepoint), and the subjects go in by the conflict-tolerant path, which keeps the row there.
    /// </summary>
    private static async Task RegisterAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, string[] newSubjects, Dictionary<string, (byte[] Key, byte[] Secret)> entries, CancellationToken cancellationToken)
    {
        await PostgreSqlProofLog.LockAsync(connection, transaction, schema, cancellationToken);
        var rows = newSubjects.Select(id => (Id: id, Key: ConsentSubjectSecrets.NewSubjectKey(), Secret: ConsentSubjectSecrets.NewSecret())).ToArray();
        List<ProofLogItem> registered;
        await transaction.SaveAsync("consentkit_register", cancellationToken);
        try
        {
            await CopySubjectsAsync(connection, $"{schema}.consent_subjects", rows, cancellationToken);
            await transaction.ReleaseAsync("consentkit_register", cancellationToken);
            registered = new List<ProofLogItem>(rows.Length);
            foreach (var (id, key, secret) in rows)
            {
                entries[id] = (key, secret);
                registered.Add(new(ConsentProofEntryKind.SubjectRegistered, ConsentProofLog.SubjectRegistered(id, key, secret), key));
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync("consentkit_register", cancellationToken);
            registered = await RegisterTolerantAsync(connection, transaction, schema, rows, entries, cancellationToken);
        }

        await PostgreSqlProofLog.CopyAsync(connection, transaction, schema, registered, cancellationToken);
    }

    private static async Task<List<ProofLogItem>> RegisterTolerantAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, (string Id, byte[] Key, byte[] Secret)[] rows, Dictionary<string, (byte[] Key, byte[] Secret)> entries, CancellationToken cancellationToken)
    {
        await PostgreSqlSchema.ExecuteAsync(
            connection, transaction, "CREATE TEMPORARY TABLE consentkit_bulk_subjects (subject_id text NOT NULL, subject_key bytea NOT NULL, secret bytea NOT NULL) ON COMMIT DROP;", cancellationToken);
        await CopySubjectsAsync(connection, "consentkit_bulk_subjects", rows, cancellationToken);
        var registered = new List<ProofLogItem>(rows.Length);
        await using var register = new NpgsqlCommand(
            $"WITH added AS (INSERT INTO {schema}.consent_subjects (subject_id, subject_key, secret) SELECT subject_id, subject_key, secret FROM consentkit_bulk_subjects " +
            "ON CONFLICT (subject_id) DO NOTHING RETURNING subject_id, subject_key, secret) " +
            $"SELECT subject_id, subject_key, secret, true FROM added UNION ALL SELECT r.subject_id, r.subject_key, r.secret, false FROM {schema}.consent_subjects r JOIN consentkit_bulk_subjects b USING (subject_id);",
            connection,
            transaction);
        await using var reader = await register.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (id, key, secret) = (reader.GetString(0), (byte[])reader[1], (byte[])reader[2]);
            entries[id] = (key, secret);
            if (reader.GetBoolean(3))
            {
                registered.Add(new(ConsentProofEntryKind.SubjectRegistered, ConsentProofLog.SubjectRegistered(id, key, secret), key));
            }
        }

        return registered;
    }

    private static async Task CopySubjectsAsync(NpgsqlConnection connection, string table, (string Id, byte[] Key, byte[] Secret)[] rows, CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync($"COPY {table} (subject_id, subject_key, secret) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var (id, key, secret) in rows)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(key, NpgsqlDbType.Bytea, cancellationToken);
            await copy.WriteAsync(secret, NpgsqlDbType.Bytea, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }
}
