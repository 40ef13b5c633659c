using System.Collections.Concurrent;
using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary>
/// Appends records to the chain inside one transaction: takes the append lock (optionally), checks a
/// condition, reads the head, finds or creates the subjects' registry entries and the notices'
/// digests in one round trip, computes the hashes, and inserts every row in a second one.
/// </summary>
/// <param name="schema">The schema.</param>
/// <param name="schema2">Writes rows of schema version 2 (no previous_hash column, no proof log): only while migrating to it.</param>
internal sealed class PostgreSqlChainWriter(string schema, bool schema2 = false)
{
    // Kept notices never change (triggers refuse it), so a digest once read stays right.
    private readonly ConcurrentDictionary<(string Purpose, string Version), byte[]> _noticeDigests = new();

    /// <summary>Appends <paramref name="records"/> inside <paramref name="transaction"/>, whose caller holds the append lock.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="transaction">The transaction, committed by the caller.</param>
    /// <param name="records">The records, in order.</param>
    /// <param name="sequences">Sequences to use (a migration keeps the old ones); <see langword="null"/> for head + 1, head + 2, ….</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<ConsentRecord>> AppendAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewConsentRecord> records, long[]? sequences, CancellationToken cancellationToken)
    {
        var prepared = (await PrepareAsync(connection, transaction, records, sequences, begin: false, expectedCurrentSequence: null, cancellationToken))!;
        await using var insert = new NpgsqlBatch(connection, transaction);
        insert.BatchCommands.Add(prepared.Insert);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return prepared.Records;
    }

    /// <summary>
    /// The first round trip of an append and the hashes: with <paramref name="begin"/>, it opens the
    /// transaction itself (<c>BEGIN</c>) and takes the append lock, so that the caller can send the insert,
    /// the notification and <c>COMMIT</c> in a second and last round trip — the lock is held for two round
    /// trips, as it was before the chain.
    /// </summary>
    /// <returns>The records as they will be stored and the insert that stores them; <see langword="null"/> when the condition failed (nothing to write).</returns>
    public async Task<PreparedAppend?> PrepareAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        IReadOnlyList<NewConsentRecord> records,
        long[]? sequences,
        bool begin,
        long? expectedCurrentSequence,
        CancellationToken cancellationToken)
    {
        var takeLock = begin;
        var subjectIds = records.Select(r => r.SubjectId).Distinct(StringComparer.Ordinal).ToArray();
        var missingNotices = records.Select(r => (r.PurposeId, r.NoticeVersion)).Distinct().Where(p => !_noticeDigests.ContainsKey(p)).ToArray();

        await using var read = new NpgsqlBatch(connection, transaction);
        if (begin)
        {
            read.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN;"));
        }

        if (takeLock)
        {
            read.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({LockKeys.Append}, hashtext('{schema}'));"));
        }

        if (expectedCurrentSequence is not null)
        {
            var condition = new NpgsqlBatchCommand(
                $"SELECT COALESCE((SELECT MAX(x.sequence) FROM {schema}.consent_events x JOIN {schema}.consent_subjects s ON s.subject_key = x.subject_key " +
                "WHERE s.subject_id = $1 AND x.purpose_id = $2), 0);");
            condition.Parameters.Add(new NpgsqlParameter<string> { TypedValue = records[0].SubjectId });
            condition.Parameters.Add(new NpgsqlParameter<string> { TypedValue = records[0].PurposeId });
            read.BatchCommands.Add(condition);
        }

        read.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT sequence, hash FROM {schema}.consent_events ORDER BY sequence DESC LIMIT 1;"));
        var registry = new NpgsqlBatchCommand($"SELECT subject_id, subject_key, secret FROM {schema}.consent_subjects WHERE subject_id = ANY($1);");
        registry.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = subjectIds });
        read.BatchCommands.Add(registry);
        if (missingNotices.Length > 0)
        {
            var notices = new NpgsqlBatchCommand(
                $"SELECT n.purpose_id, n.notice_version, n.digest FROM {schema}.consent_notices n " +
                "JOIN unnest($1::text[], $2::text[]) AS p (purpose_id, notice_version) USING (purpose_id, notice_version);");
            notices.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. missingNotices.Select(p => p.PurposeId)] });
            notices.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. missingNotices.Select(p => p.NoticeVersion)] });
            read.BatchCommands.Add(notices);
        }

        long previousSequence = 0;
        ReadOnlyMemory<byte> previousHash = ConsentChain.GenesisHash;
        var entries = new Dictionary<string, (byte[] Key, byte[] Secret)>(StringComparer.Ordinal);
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            // BEGIN returns no result set: the reader starts at the lock's.
            if (takeLock)
            {
                await reader.NextResultAsync(cancellationToken);
            }

            if (expectedCurrentSequence is { } expected)
            {
                await reader.ReadAsync(cancellationToken);
                if (reader.GetInt64(0) != expected)
                {
                    return null;
                }

                await reader.NextResultAsync(cancellationToken);
            }

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

            if (missingNotices.Length > 0)
            {
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    _noticeDigests[(reader.GetString(0), reader.GetString(1))] = (byte[])reader[2];
                }
            }
        }

        if (entries.Count < subjectIds.Length)
        {
            await RegisterAsync(connection, transaction, [.. subjectIds.Where(id => !entries.ContainsKey(id))], entries, cancellationToken);
        }

        var count = records.Count;
        var columns = new Columns(count);
        var stored = new ConsentRecord[count];
        for (var i = 0; i < count; i++)
        {
            var record = records[i];
            var (key, secret) = entries[record.SubjectId];
            var entry = ConsentChain.CreateEntry(
                record,
                sequences?[i] ?? previousSequence + 1,
                previousSequence,
                previousHash.Span,
                key,
                secret,
                _noticeDigests.TryGetValue((record.PurposeId, record.NoticeVersion), out var digest) ? digest : ConsentChain.NoNoticeDigest);
            columns.Set(i, entry, previousHash);
            stored[i] = new ConsentRecord(entry.Sequence, record, key) { NoticeDigest = entry.NoticeDigest };
            previousSequence = entry.Sequence;
            previousHash = entry.Hash;
        }

        var insert = new NpgsqlBatchCommand(schema2
            ? $"INSERT INTO {schema}.consent_events (sequence, previous_sequence, subject_key, purpose_id, status, notice_version, notice_digest, recorded_at, expires_at, method, source, metadata, hash) " +
              "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::text[], $5::smallint[], $6::text[], $7::bytea[], $8::bigint[], $9::bigint[], $10::smallint[], $11::text[], $12::bytea[], $13::bytea[]);"
            : $"INSERT INTO {schema}.consent_events (sequence, previous_sequence, subject_key, purpose_id, status, notice_version, notice_digest, recorded_at, expires_at, method, source, metadata, hash, previous_hash) " +
              "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::text[], $5::smallint[], $6::text[], $7::bytea[], $8::bigint[], $9::bigint[], $10::smallint[], $11::text[], $12::bytea[], $13::bytea[], $14::bytea[]);");
        columns.Bind(insert.Parameters, withPreviousHash: !schema2);
        return new PreparedAppend(stored, insert);
    }

    /// <summary>The kept notices' digests for the (purpose, version) pairs of <paramref name="records"/>, read once per pair per store.</summary>
    public async Task<ConcurrentDictionary<(string Purpose, string Version), byte[]>> NoticeDigestsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewConsentRecord> records, CancellationToken cancellationToken)
    {
        var missing = records.Select(r => (r.PurposeId, r.NoticeVersion)).Distinct().Where(p => !_noticeDigests.ContainsKey(p)).ToArray();
        if (missing.Length > 0)
        {
            await using var notices = new NpgsqlCommand(
                $"SELECT n.purpose_id, n.notice_version, n.digest FROM {schema}.consent_notices n " +
                "JOIN unnest($1::text[], $2::text[]) AS p (purpose_id, notice_version) USING (purpose_id, notice_version);",
                connection,
                transaction);
            notices.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. missing.Select(p => p.PurposeId)] });
            notices.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. missing.Select(p => p.NoticeVersion)] });
            await using var reader = await notices.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                _noticeDigests[(reader.GetString(0), reader.GetString(1))] = (byte[])reader[2];
            }
        }

        return _noticeDigests;
    }

    /// <summary>Gives subjects seen for the first time a random key and secret (one more round trip, on a subject's first record only).</summary>
    private async Task RegisterAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string[] newSubjects, Dictionary<string, (byte[] Key, byte[] Secret)> entries, CancellationToken cancellationToken)
    {
        // Under the append lock no other append registers them meanwhile; the ledger may have, so a
        // conflict keeps the row that is there and the union reads it back. The proof log's lock is taken
        // first (after the append lock, always in that order), so registrations enter the log in order.
        if (!schema2)
        {
            await PostgreSqlProofLog.LockAsync(connection, transaction, schema, cancellationToken);
        }

        await using var register = new NpgsqlCommand(
            $"WITH added AS (INSERT INTO {schema}.consent_subjects (subject_id, subject_key, secret) " +
            "SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[]) ON CONFLICT (subject_id) DO NOTHING RETURNING subject_id, subject_key, secret) " +
            $"SELECT subject_id, subject_key, secret, true FROM added UNION ALL SELECT subject_id, subject_key, secret, false FROM {schema}.consent_subjects WHERE subject_id = ANY($1);",
            connection,
            transaction);
        register.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = newSubjects });
        register.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. newSubjects.Select(_ => ConsentSubjectSecrets.NewSubjectKey())] });
        register.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. newSubjects.Select(_ => ConsentSubjectSecrets.NewSecret())] });
        var registered = new List<ProofLogItem>();
        await using (var reader = await register.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (id, key, secret) = (reader.GetString(0), (byte[])reader[1], (byte[])reader[2]);
                entries[id] = (key, secret);
                if (reader.GetBoolean(3))
                {
                    registered.Add(new(ConsentProofEntryKind.SubjectRegistered, ConsentProofLog.SubjectRegistered(id, key, secret), key));
                }
            }
        }

        if (!schema2)
        {
            await PostgreSqlProofLog.AppendAsync(connection, transaction, schema, registered, cancellationToken);
        }
    }

    private sealed class Columns(int count)
    {
        private readonly long[] _sequences = new long[count];
        private readonly long[] _previous = new long[count];
        private readonly byte[][] _keys = new byte[count][];
        private readonly string[] _purposes = new string[count];
        private readonly short[] _statuses = new short[count];
        private readonly string[] _notices = new string[count];
        private readonly byte[][] _digests = new byte[count][];
        private readonly long[] _recorded = new long[count];
        private readonly long?[] _expires = new long?[count];
        private readonly short[] _methods = new short[count];
        private readonly string?[] _sources = new string?[count];
        private readonly byte[][] _metadata = new byte[count][];
        private readonly byte[][] _hashes = new byte[count][];
        private readonly byte[][] _previousHashes = new byte[count][];

        public void Set(int i, ConsentChainEntry entry, ReadOnlyMemory<byte> previousHash)
        {
            _previousHashes[i] = previousHash.ToArray();
            _sequences[i] = entry.Sequence;
            _previous[i] = entry.PreviousSequence;
            _keys[i] = entry.SubjectKey.ToArray();
            _purposes[i] = entry.PurposeId;
            _statuses[i] = (short)entry.Status;
            _notices[i] = entry.NoticeVersion;
            _digests[i] = entry.NoticeDigest.ToArray();
            _recorded[i] = entry.RecordedAtUtcTicks;
            _expires[i] = entry.ExpiresAtUtcTicks;
            _methods[i] = (short)entry.Method;
            _sources[i] = entry.Source;
            _metadata[i] = entry.SealedMetadata.ToArray();
            _hashes[i] = entry.Hash.ToArray();
        }

        public void Bind(NpgsqlParameterCollection parameters, bool withPreviousHash)
        {
            parameters.Add(new NpgsqlParameter<long[]> { TypedValue = _sequences });
            parameters.Add(new NpgsqlParameter<long[]> { TypedValue = _previous });
            parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = _keys });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = _purposes });
            parameters.Add(new NpgsqlParameter<short[]> { TypedValue = _statuses });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = _notices });
            parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = _digests });
            parameters.Add(new NpgsqlParameter<long[]> { TypedValue = _recorded });
            parameters.Add(new NpgsqlParameter<long?[]> { TypedValue = _expires });
            parameters.Add(new NpgsqlParameter<short[]> { TypedValue = _methods });
            parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = _sources });
            parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = _metadata });
            parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = _hashes });
            if (withPreviousHash)
            {
                parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = _previousHashes });
            }
        }
    }
}

/// <summary>An append ready to send: the records as they will be stored, and the insert that stores them.</summary>
internal sealed record PreparedAppend(IReadOnlyList<ConsentRecord> Records, NpgsqlBatchCommand Insert);
