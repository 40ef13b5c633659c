using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace ConsentKit.PostgreSql;

/// <summary>
/// The consent store for apps that run on many machines: one PostgreSQL database shared by every app
/// instance and batch job, append-only, with a change feed every instance follows.
/// </summary>
/// <remarks>
/// <para>
/// Durability is the server's: an append returns once its transaction has committed (with the
/// server's default <c>synchronous_commit = on</c>, after the WAL was flushed).
/// </para>
/// <para>
/// Every append takes one transaction-scoped advisory lock, so sequences commit in sequence order: a
/// reader of the change feed can never see sequence <c>n + 1</c> before <c>n</c> has committed, and so
/// never skips a record. Each append also sends a <c>NOTIFY</c> on commit, which wakes the other
/// instances' followers at once (<see cref="IConsentChangeNotifications"/>).
/// </para>
/// </remarks>
public sealed partial class PostgreSqlConsentStore : IConsentStore, IAsyncDisposable, IDisposable
{
    private const string Columns = "e.sequence, e.subject_id, e.purpose_id, e.status, e.notice_version, e.recorded_at, e.expires_at, e.method, e.source, e.metadata";

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _schema;
    private readonly int _chunkSize;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private readonly PostgreSqlAppendQueue _appends;
    private volatile bool _initialized;

    /// <summary>Creates the store over a connection string. The schema is created or migrated on first use or by <see cref="InitializeAsync"/>.</summary>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message lists every problem.</exception>
    public PostgreSqlConsentStore(PostgreSqlConsentStoreOptions options)
        : this(null, options)
    {
    }

    /// <summary>Creates the store over an existing data source, which the app keeps owning.</summary>
    /// <param name="dataSource">The app's Npgsql data source.</param>
    /// <param name="options">The options (its connection string is not used).</param>
    /// <exception cref="ArgumentException">An option is invalid; the message lists every problem.</exception>
    public PostgreSqlConsentStore(NpgsqlDataSource? dataSource, PostgreSqlConsentStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = PostgreSqlConsentStoreOptionsValidator.FindProblems(options, dataSource is not null);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _ownsDataSource = dataSource is null;
        _dataSource = dataSource ?? NpgsqlDataSource.Create(options.ConnectionString!);
        _schema = options.SchemaName;
        _chunkSize = options.BulkReadChunkSize;
        Channel = _schema + "_changes";
        _appends = new PostgreSqlAppendQueue(WriteCombinedAsync);
    }

    /// <summary>Creates the store from options registered in DI.</summary>
    /// <param name="options">The options.</param>
    public PostgreSqlConsentStore(IOptions<PostgreSqlConsentStoreOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    /// <summary>The schema that holds the tables.</summary>
    public string SchemaName => _schema;

    /// <summary>The <c>LISTEN/NOTIFY</c> channel appends notify on: <c>{schema}_changes</c>.</summary>
    public string Channel { get; }

    /// <summary>
    /// Creates the schema if needed and brings it up to date (one transaction under an advisory lock).
    /// Safe to call more than once, from many instances at the same time.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ConsentStoreException">The server cannot be reached, or the schema is newer than this code.</exception>
    public async ValueTask InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }

        await _initLock.WaitAsync(cancellationToken);
        try
        {
            if (!_initialized)
            {
                await GuardAsync("migrate", async ct =>
                {
                    await using var connection = await _dataSource.OpenConnectionAsync(ct);
                    await PostgreSqlSchema.MigrateAsync(connection, _schema, ct);
                    return 0;
                }, cancellationToken);
                _initialized = true;
            }
        }
        finally
        {
            _initLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<ConsentRecord> AppendAsync(NewConsentRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var stored = await AppendManyAsync([record], cancellationToken);
        return stored[0];
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentRecord>> AppendManyAsync(IReadOnlyList<NewConsentRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (records.Count == 0)
        {
            return [];
        }

        await InitializeAsync(cancellationToken);
        return await _appends.AppendAsync(records, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<ConsentRecord?> AppendIfCurrentAsync(NewConsentRecord record, long expectedCurrentSequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedCurrentSequence);
        cancellationToken.ThrowIfCancellationRequested();
        var stored = await AppendCoreAsync([record], expectedCurrentSequence, cancellationToken);
        return stored.Count == 0 ? null : stored[0];
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        return QueryAsync(
            $"SELECT {Columns} FROM {_schema}.consent_current c JOIN {_schema}.consent_events e ON e.sequence = c.sequence WHERE c.subject_id = $1;",
            c => c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId }),
            cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectIds);
        cancellationToken.ThrowIfCancellationRequested();
        var distinct = subjectIds.Where(s => s is not null).Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 0)
        {
            return [];
        }

        var result = new List<ConsentRecord>();
        for (var offset = 0; offset < distinct.Length; offset += _chunkSize)
        {
            var chunk = distinct[offset..Math.Min(distinct.Length, offset + _chunkSize)];
            result.AddRange(await QueryAsync(
                $"SELECT {Columns} FROM {_schema}.consent_current c JOIN {_schema}.consent_events e ON e.sequence = c.sequence WHERE c.subject_id = ANY($1);",
                c => c.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = chunk }),
                cancellationToken));
        }

        return result;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        return QueryAsync(
            $"SELECT {Columns} FROM {_schema}.consent_events e WHERE e.subject_id = $1 ORDER BY e.sequence;",
            c => c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId }),
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> GetChangesAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return QueryAsync(
            $"SELECT {Columns} FROM {_schema}.consent_events e WHERE e.sequence > $1 ORDER BY e.sequence LIMIT $2;",
            c =>
            {
                c.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSequence });
                c.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<long> GetLastSequenceAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return await GuardAsync("read", async ct =>
        {
            await using var command = _dataSource.CreateCommand($"SELECT COALESCE(MAX(sequence), 0) FROM {_schema}.consent_events;");
            return (long)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);
    }

    /// <summary>Checks that the server answers and the schema is the one this code expects.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The schema version.</returns>
    /// <exception cref="ConsentStoreException">The server cannot be reached or the schema is missing.</exception>
    public async ValueTask<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default)
    {
        return await GuardAsync("read", async ct =>
        {
            await using var command = _dataSource.CreateCommand($"SELECT version FROM {_schema}.consentkit_schema WHERE id = 1;");
            return await command.ExecuteScalarAsync(ct) is int version ? version : 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync();
        }

        _initLock.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }

        _initLock.Dispose();
    }

    // A combined transaction belongs to every caller in it, so no single caller's token may cancel it
    // (Npgsql's command timeout still bounds it).
    private async Task<long[]> WriteCombinedAsync(IReadOnlyList<NewConsentRecord> records) =>
        [.. (await AppendCoreAsync(records, expectedCurrentSequence: null, CancellationToken.None)).Select(r => r.Sequence)];

    private async ValueTask<IReadOnlyList<ConsentRecord>> AppendCoreAsync(IReadOnlyList<NewConsentRecord> records, long? expectedCurrentSequence, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        return await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using var batch = new NpgsqlBatch(connection, transaction);

            // Held until commit: appends commit in sequence order (see the class remarks).
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({LockKeys.Append}, hashtext('{_schema}'));"));
            var insert = new NpgsqlBatchCommand(
                $"INSERT INTO {_schema}.consent_events (subject_id, purpose_id, status, notice_version, recorded_at, expires_at, method, source, metadata) " +
                "SELECT r.subject_id, r.purpose_id, r.status, r.notice_version, r.recorded_at, r.expires_at, r.method, r.source, r.metadata " +
                "FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[], $5::bigint[], $6::bigint[], $7::smallint[], $8::text[], $9::jsonb[]) " +
                "WITH ORDINALITY AS r (subject_id, purpose_id, status, notice_version, recorded_at, expires_at, method, source, metadata, n) " +
                (expectedCurrentSequence is null
                    ? string.Empty
                    : $"WHERE COALESCE((SELECT c.sequence FROM {_schema}.consent_current c WHERE c.subject_id = r.subject_id AND c.purpose_id = r.purpose_id), 0) = $10 ") +
                "ORDER BY r.n RETURNING sequence;");
            AddColumns(insert, records);
            if (expectedCurrentSequence is { } expected)
            {
                insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expected });
            }

            batch.BatchCommands.Add(insert);
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', '');"));

            var sequences = new List<long>(records.Count);
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                await reader.NextResultAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    sequences.Add(reader.GetInt64(0));
                }
            }

            if (sequences.Count == 0)
            {
                // The condition failed: nothing was inserted; do not notify anyone.
                await transaction.RollbackAsync(ct);
                return (IReadOnlyList<ConsentRecord>)[];
            }

            await transaction.CommitAsync(ct);

            // Under the lock the identity column hands out consecutive values in insertion order.
            sequences.Sort();
            var stored = new ConsentRecord[records.Count];
            for (var i = 0; i < stored.Length; i++)
            {
                stored[i] = new ConsentRecord(sequences[i], records[i]);
            }

            return stored;
        }, cancellationToken);
    }

    private static void AddColumns(NpgsqlBatchCommand command, IReadOnlyList<NewConsentRecord> records)
    {
        var count = records.Count;
        var subjects = new string[count];
        var purposes = new string[count];
        var statuses = new short[count];
        var notices = new string[count];
        var recorded = new long[count];
        var expires = new long?[count];
        var methods = new short[count];
        var sources = new string?[count];
        var metadata = new string?[count];
        for (var i = 0; i < count; i++)
        {
            var record = records[i];
            subjects[i] = record.SubjectId;
            purposes[i] = record.PurposeId;
            statuses[i] = (short)record.Status;
            notices[i] = record.NoticeVersion;
            recorded[i] = record.RecordedAt.UtcTicks;
            expires[i] = record.ExpiresAt?.UtcTicks;
            methods[i] = (short)record.Method;
            sources[i] = record.Source;
            metadata[i] = record.Metadata.Count == 0 ? null : JsonSerializer.Serialize(record.Metadata, PostgreSqlJson.Default.IReadOnlyDictionaryStringString);
        }

        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = subjects });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = purposes });
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = statuses });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = notices });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = recorded });
        command.Parameters.Add(new NpgsqlParameter<long?[]> { TypedValue = expires });
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = methods });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = sources });
        command.Parameters.Add(new NpgsqlParameter { Value = metadata, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
    }

    private ValueTask<IReadOnlyList<ConsentRecord>> QueryAsync(string sql, Action<NpgsqlCommand> bind, CancellationToken cancellationToken) =>
        QueryAsync(sql, bind, ReadRecord, cancellationToken);

    /// <summary>Runs one read on a pooled connection, after the schema is in place, mapping each row with <paramref name="read"/>.</summary>
    private async ValueTask<IReadOnlyList<T>> QueryAsync<T>(string sql, Action<NpgsqlCommand> bind, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return await GuardAsync("read", async ct =>
        {
            await using var command = _dataSource.CreateCommand(sql);
            bind(command);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var result = new List<T>();
            while (await reader.ReadAsync(ct))
            {
                result.Add(read(reader));
            }

            return (IReadOnlyList<T>)result;
        }, cancellationToken);
    }

    private static ConsentRecord ReadRecord(NpgsqlDataReader reader)
    {
        var metadata = reader.IsDBNull(9)
            ? null
            : JsonSerializer.Deserialize(reader.GetString(9), PostgreSqlJson.Default.DictionaryStringString);
        var record = new NewConsentRecord(
            reader.GetString(1),
            reader.GetString(2),
            (ConsentStatus)reader.GetInt16(3),
            reader.GetString(4),
            ToTime(reader.GetInt64(5)),
            reader.IsDBNull(6) ? null : ToTime(reader.GetInt64(6)),
            (ConsentMethod)reader.GetInt16(7),
            reader.IsDBNull(8) ? null : reader.GetString(8),
            metadata);
        return new ConsentRecord(reader.GetInt64(0), record);
    }

    // UTC ticks, as in the SQLite store: an exact round trip at 100 ns (timestamptz keeps microseconds).
    // The view consent_events_readable shows them as timestamps.
    private static DateTimeOffset ToTime(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private async ValueTask<T> GuardAsync<T>(string action, Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw new ConsentStoreException(
                $"Could not {action} the consent store: schema '{_schema}' has no ConsentKit tables ({ex.MessageText}). Call InitializeAsync or start the host so it migrates.", ex);
        }
        catch (PostgresException ex)
        {
            throw new ConsentStoreException($"Could not {action} the consent store in schema '{_schema}': {ex.MessageText} (SQLSTATE {ex.SqlState}).", ex);
        }
        catch (NpgsqlException ex)
        {
            throw new ConsentStoreException($"Could not {action} the consent store in schema '{_schema}': the PostgreSQL server cannot be reached ({ex.Message}).", ex);
        }
    }
}
