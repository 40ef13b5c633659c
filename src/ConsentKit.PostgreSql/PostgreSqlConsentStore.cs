using System.Text.Json;
using ConsentKit.Storage;
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
    // Records read with the subject registry joined: the id and the secret that opens the metadata.
    // A record whose subject was erased has no registry row (r.subject_id is NULL).
    // Every read also takes what checks the row (StoredRows.ReadRecord): the record's previous hash and
    // hash, and the proof log's registration of the registry row that named its subject.
    private const string Columns = "e.sequence, r.subject_id, e.purpose_id, e.status, e.notice_version, e.recorded_at, e.expires_at, e.method, e.source, e.metadata, r.secret, e.subject_key, octet_length(e.metadata), e.notice_digest, " + StoredRows.CheckColumns;

    private const string RegistrationJoin = " LEFT JOIN {0}.consent_proof_log l ON l.subject_key = r.subject_key AND l.kind = 1";

    // The gate's current state comes from the hash-chained event log itself — each pair's latest record,
    // found in the covering index — never from consent_current, which nothing but the log backs: an
    // UPDATE there cannot revive a grant (docs/history-proof.md).
    private const string CurrentSelect =
        "SELECT e.sequence, g.subject_id, e.purpose_id, e.status, e.notice_version, e.recorded_at, e.expires_at, e.method, e.source, e.metadata, g.secret, e.subject_key, octet_length(e.metadata), e.notice_digest, " + StoredRows.CheckColumns + " " +
        "FROM (SELECT r.subject_id, r.secret, MAX(x.sequence) AS latest FROM {0}.consent_subjects r JOIN {0}.consent_events x ON x.subject_key = r.subject_key " +
        "WHERE r.subject_id {1} GROUP BY r.subject_id, x.purpose_id) g JOIN {0}.consent_events e ON e.sequence = g.latest " +
        "LEFT JOIN {0}.consent_proof_log l ON l.subject_key = e.subject_key AND l.kind = 1";

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _schema;
    private readonly int _chunkSize;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private readonly PostgreSqlAppendQueue _appends;
    private readonly PostgreSqlChainWriter _chain;
    private readonly string _currentOne;
    private readonly string _currentMany;
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
        _chain = new PostgreSqlChainWriter(_schema);
        _currentOne = string.Format(System.Globalization.CultureInfo.InvariantCulture, CurrentSelect, _schema, "= $1");
        _currentMany = string.Format(System.Globalization.CultureInfo.InvariantCulture, CurrentSelect, _schema, "= ANY($1)");
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
        if (records.Count < PostgreSqlBulkAppend.Threshold)
        {
            return await _appends.AppendAsync(records, cancellationToken);
        }

        return await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var stored = await PostgreSqlBulkAppend.AppendAsync(connection, transaction, _schema, _chain, records, ct);
            await NotifyAndCommitAsync(connection, transaction, ct);
            return stored;
        }, cancellationToken);
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
            _currentOne + ";",
            c => c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId }),
            RecordReader(),
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
                _currentMany + ";",
                c => c.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = chunk }),
                RecordReader(),
                cancellationToken));
        }

        return result;
    }

    /// <inheritdoc />
    public async ValueTask<ConsentPurposeScan> ScanCurrentAsync(IReadOnlyCollection<string> purposeIds, CancellationToken cancellationToken = default)
    {
        var purposes = ScanArguments.Purposes(purposeIds);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return await GuardAsync("read", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);

            // One snapshot for the watermark and the rows. Appends commit in sequence order (they hold the
            // append lock until they commit), so the snapshot holds every record up to its highest sequence.
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
            await using var last = new NpgsqlCommand($"SELECT COALESCE(MAX(sequence), 0) FROM {_schema}.consent_events;", connection, transaction);
            var watermark = (long)(await last.ExecuteScalarAsync(ct))!;

            // Each pair's latest record from the log's covering index, checked like every read (its hash, its
            // subject's registration); the metadata is read for the hash but not opened (length 0: a scan
            // decides, it does not display).
            await using var command = new NpgsqlCommand(
                "SELECT e.sequence, r.subject_id, e.purpose_id, e.status, e.notice_version, e.recorded_at, e.expires_at, e.method, e.source, e.metadata, r.secret, e.subject_key, 0::bigint, e.notice_digest, " + StoredRows.CheckColumns + " " +
                $"FROM (SELECT subject_key, MAX(sequence) AS latest FROM {_schema}.consent_events WHERE purpose_id = ANY($1) GROUP BY subject_key, purpose_id) g " +
                $"JOIN {_schema}.consent_events e ON e.sequence = g.latest JOIN {_schema}.consent_subjects r ON r.subject_key = g.subject_key" +
                string.Format(System.Globalization.CultureInfo.InvariantCulture, RegistrationJoin, _schema) + ";",
                connection,
                transaction);
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = purposes });
            var records = new List<ConsentRecord>();
            var readRecord = RecordReader();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    records.Add(readRecord(reader));
                }
            }

            await transaction.CommitAsync(ct);
            return new ConsentPurposeScan { Watermark = watermark, Records = records };
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        return QueryAsync(
            $"SELECT {Columns} FROM {_schema}.consent_subjects r JOIN {_schema}.consent_events e ON e.subject_key = r.subject_key" +
            string.Format(System.Globalization.CultureInfo.InvariantCulture, RegistrationJoin, _schema) + " WHERE r.subject_id = $1 ORDER BY e.sequence;",
            c => c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subjectId }),
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentRecord>> GetChangesAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return QueryAsync(
            $"SELECT {Columns} FROM {_schema}.consent_events e LEFT JOIN {_schema}.consent_subjects r ON r.subject_key = e.subject_key" +
            string.Format(System.Globalization.CultureInfo.InvariantCulture, RegistrationJoin, _schema) + " WHERE e.sequence > $1 ORDER BY e.sequence LIMIT $2;",
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
    private async Task<IReadOnlyList<ConsentRecord>> WriteCombinedAsync(IReadOnlyList<NewConsentRecord> records) =>
        await AppendCoreAsync(records, expectedCurrentSequence: null, CancellationToken.None);

    private async ValueTask<IReadOnlyList<ConsentRecord>> AppendCoreAsync(IReadOnlyList<NewConsentRecord> records, long? expectedCurrentSequence, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        return await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);

            // Two round trips, the append lock held from the first to COMMIT: appends commit in sequence
            // order (see the class remarks) and each reads a chain head no other append can move. A
            // failure in between leaves an open transaction that Npgsql rolls back when the connection
            // goes back to the pool: nothing is written.
            var prepared = await _chain.PrepareAsync(connection, null, records, sequences: null, begin: true, expectedCurrentSequence, ct);
            await using var finish = new NpgsqlBatch(connection);
            if (prepared is null)
            {
                // The condition failed: nothing was inserted; do not notify anyone.
                finish.BatchCommands.Add(new NpgsqlBatchCommand("ROLLBACK;"));
                await finish.ExecuteNonQueryAsync(ct);
                return (IReadOnlyList<ConsentRecord>)[];
            }

            finish.BatchCommands.Add(prepared.Insert);
            finish.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', '');"));
            finish.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT;"));
            await finish.ExecuteNonQueryAsync(ct);
            return prepared.Records;
        }, cancellationToken);
    }

    private async Task NotifyAndCommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', '');", connection, transaction))
        {
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private ValueTask<IReadOnlyList<ConsentRecord>> QueryAsync(string sql, Action<NpgsqlCommand> bind, CancellationToken cancellationToken) =>
        QueryAsync(sql, bind, RecordReader(), cancellationToken);

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

    /// <summary>Maps the rows of one read to records, checking each (a subject's registration once per read).</summary>
    private static Func<NpgsqlDataReader, ConsentRecord> RecordReader()
    {
        var checkedSubjects = new HashSet<string>(StringComparer.Ordinal);
        return reader => StoredRows.ReadRecord(reader, checkedSubjects);
    }

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
