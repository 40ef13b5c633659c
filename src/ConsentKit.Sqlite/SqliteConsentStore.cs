using System.Globalization;
using System.Text.Json;
using ConsentKit.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using SQLitePCL;

namespace ConsentKit.Sqlite;

/// <summary>
/// The embedded consent store: one SQLite file, append-only, durable.
/// </summary>
/// <remarks>
/// <para>
/// Durability: WAL journal with <c>synchronous = FULL</c>. Every committed append has been fsynced to
/// the write-ahead log before the call returns, so it survives a crash of the process <em>and</em> of
/// the machine. (<c>NORMAL</c> would survive a process crash too, but may lose the last commits on
/// power loss; consent evidence is worth the fsync. Batch with <see cref="AppendManyAsync"/> for speed.)
/// </para>
/// <para>
/// Appends go through one connection per store instance, one transaction at a time; reads use pooled
/// connections and never block on writers (WAL). Other processes may use the same file: SQLite's
/// write lock orders them and <see cref="SqliteConsentStoreOptions.BusyTimeout"/> bounds the wait.
/// </para>
/// </remarks>
public sealed partial class SqliteConsentStore : IConsentStore, IDisposable
{
    // Records read with the subject registry joined: the id and the secret that opens the metadata.
    // A record whose subject was erased has no registry row (s.subject_id is NULL).
    // Every read also takes what checks the row (StoredRows.ReadRecord): the record's previous hash and
    // hash, and the proof log's registration of the registry row that named its subject.
    private const string Columns = "e.sequence, s.subject_id, e.purpose_id, e.status, e.notice_version, e.recorded_at, e.expires_at, e.method, e.source, e.metadata, s.secret, e.subject_key, length(e.metadata), e.notice_digest, " + StoredRows.CheckColumns;

    private const string RegistrationJoin = " LEFT JOIN consent_proof_log l ON l.subject_key = s.subject_key AND l.kind = 1";

    // The gate's current state comes from the hash-chained event log itself — each pair's latest record,
    // found in the covering index — never from consent_current, which nothing but the log backs: an
    // UPDATE there cannot revive a grant. Measured: as fast as following consent_current's pointer,
    // and twice as fast as following it and checking it against the log (docs/history-proof.md).
    private const string CurrentSelect =
        "SELECT e.sequence, g.subject_id, e.purpose_id, e.status, e.notice_version, e.recorded_at, e.expires_at, e.method, e.source, e.metadata, g.secret, e.subject_key, length(e.metadata), e.notice_digest, " + StoredRows.CheckColumns + " " +
        "FROM (SELECT s.subject_id, s.secret, MAX(x.sequence) AS latest FROM consent_subjects s JOIN consent_events x ON x.subject_key = s.subject_key " +
        "WHERE {0} GROUP BY x.subject_key, x.purpose_id) g JOIN consent_events e ON e.sequence = g.latest " +
        "LEFT JOIN consent_proof_log l ON l.subject_key = e.subject_key AND l.kind = 1";

    private readonly string _connectionString;
    private readonly string _location;
    private readonly int _chunkSize;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SqliteReaderPool _readers;
    private SqliteConnection? _writer;
    private SqliteStatementCache? _statements;
    private volatile bool _initialized;

    /// <summary>Creates the store. The database is created or migrated on first use or by <see cref="InitializeAsync"/>.</summary>
    /// <param name="options">The options.</param>
    public SqliteConsentStore(IOptions<SqliteConsentStoreOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    /// <summary>Creates the store. The database is created or migrated on first use or by <see cref="InitializeAsync"/>.</summary>
    /// <param name="options">The options.</param>
    public SqliteConsentStore(SqliteConsentStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString)
        {
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        };
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:")
        {
            throw new ArgumentException("The SQLite consent store needs a database file: set 'Data Source' to a path.", nameof(options));
        }

        _connectionString = builder.ToString();
        _location = Path.GetFullPath(builder.DataSource);
        _chunkSize = options.BulkReadChunkSize > 0 ? options.BulkReadChunkSize : 10_000;
        _readers = new SqliteReaderPool(OpenReader, keep: 16);
        BusyTimeout = options.BusyTimeout;
    }

    /// <summary>The full path of the database file.</summary>
    public string Location => _location;

    private TimeSpan BusyTimeout { get; }

    /// <summary>Creates the database file if needed and brings its schema up to date. Safe to call more than once, from several processes.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ConsentStoreException">The file cannot be opened or created, is locked, or has a newer schema.</exception>
    public async ValueTask InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }

            var writer = Guard("open", () =>
            {
                var connection = new SqliteConnection(_connectionString);
                try
                {
                    connection.Open();
                    // secure_delete before migrating: pages a migration frees are overwritten too.
                    Configure(connection);

                    // The one writer keeps a page cache that holds the indexes appends and ledger writes touch
                    // at random (the registry, the ledger's keys): with the default 2 MB, a run recording 45k
                    // subjects re-read most pages from the OS. Allocated as pages are used, up to 64 MiB.
                    using (var cache = connection.CreateCommand())
                    {
                        cache.CommandText = "PRAGMA cache_size = -65536;";
                        cache.ExecuteNonQuery();
                    }
                    SqliteSchema.Migrate(connection, _location);
                    return connection;
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
            });
            _writer = writer;
            _statements = new SqliteStatementCache(writer);
            _initialized = true;
        }
        finally
        {
            _writeLock.Release();
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

        return await WriteAsync(writer => AppendLocked(writer, records), cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<ConsentRecord?> AppendIfCurrentAsync(NewConsentRecord record, long expectedCurrentSequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedCurrentSequence);
        cancellationToken.ThrowIfCancellationRequested();

        // The check runs inside the append's BEGIN IMMEDIATE transaction, which holds the database's
        // write lock (for every process): nothing can land between the check and the insert.
        return await WriteAsync(writer => AppendLocked(writer, [record], expectedCurrentSequence) is [var stored] ? stored : null, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentRecord>> GetChangesAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);

        // SQLite has one writer at a time and sequences are assigned under its lock, so commit order is
        // sequence order: reading by sequence can never skip a record that commits later.
        return Guard("read", () => Query(
            $"SELECT {Columns} FROM consent_events e LEFT JOIN consent_subjects s ON s.subject_key = e.subject_key{RegistrationJoin} WHERE e.sequence > $after ORDER BY e.sequence LIMIT $limit;",
            command =>
            {
                command.Parameters.AddWithValue("$after", afterSequence);
                command.Parameters.AddWithValue("$limit", maxCount);
            }));
    }

    /// <inheritdoc />
    public async ValueTask<long> GetLastSequenceAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return Guard("read", () =>
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COALESCE(MAX(sequence), 0) FROM consent_events;";
            return (long)command.ExecuteScalar()!;
        });
    }

    /// <summary>The schema version of the database file (opening or creating it first).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ConsentStoreException">The file cannot be opened.</exception>
    public async ValueTask<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default)
    {
        await InitializeAsync(cancellationToken);
        return Guard("read", () =>
        {
            using var connection = OpenReader();
            return SqliteSchema.ReadVersion(connection);
        });
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return Guard("read", () => _readers.Use(reader =>
        {
            var command = reader.Get(CurrentOne, null);
            command.Parameters.AddWithValue("$subject", subjectId);
            using var rows = command.ExecuteReader();
            var result = new List<ConsentRecord>();
            ReadAll(rows, result);
            return (IReadOnlyList<ConsentRecord>)result;
        }));
    }

    private static readonly string CurrentOne = string.Format(CultureInfo.InvariantCulture, CurrentSelect, "s.subject_id = $subject") + ";";

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentRecord>> GetCurrentManyAsync(IReadOnlyCollection<string> subjectIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectIds);
        cancellationToken.ThrowIfCancellationRequested();
        if (subjectIds.Count == 0)
        {
            return [];
        }

        await InitializeAsync(cancellationToken);
        var distinct = subjectIds.Where(s => s is not null).Distinct(StringComparer.Ordinal).ToArray();
        return Guard("read", () =>
        {
            using var connection = OpenReader();
            var result = new List<ConsentRecord>();
            ReadMany(connection, distinct, result, cancellationToken);
            return (IReadOnlyList<ConsentRecord>)result;
        });
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentRecord>> GetHistoryAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return Guard("read", () => Query(
            $"SELECT {Columns} FROM consent_subjects s JOIN consent_events e ON e.subject_key = s.subject_key{RegistrationJoin} WHERE s.subject_id = $subject ORDER BY e.sequence;",
            command => command.Parameters.AddWithValue("$subject", subjectId)));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _readers.Dispose();
        _statements?.Dispose();
        _statements = null;
        _writer?.Dispose();
        _writer = null;
        _writeLock.Dispose();
    }

    /// <param name="writer">The writer connection.</param>
    /// <param name="records">The records, appended all or none.</param>
    /// <param name="expectedCurrentSequence">For a conditional append of one record: the pair's current sequence it requires (0 for none); nothing is written (and an empty list returned) when it differs.</param>
    private IReadOnlyList<ConsentRecord> AppendLocked(SqliteConnection writer, IReadOnlyList<NewConsentRecord> records, long? expectedCurrentSequence = null)
    {
        using var transaction = writer.BeginTransaction(deferred: false);
        var stored = AppendInTransaction(writer, transaction, records, expectedCurrentSequence);
        if (stored.Count > 0)
        {
            transaction.Commit();
        }

        return stored;
    }

    private IReadOnlyList<ConsentRecord> AppendInTransaction(SqliteConnection writer, SqliteTransaction transaction, IReadOnlyList<NewConsentRecord> records, long? expectedCurrentSequence = null)
    {
        // BEGIN IMMEDIATE holds the database's write lock (for every process) until commit: the chain's
        // head, the next sequence and the pair's current record cannot move under this transaction.
        var statements = Statements(writer);
        var registry = new SqliteSubjectRegistry(statements, transaction, new SqliteProofLogWriter(statements, transaction));
        if (expectedCurrentSequence is { } expected)
        {
            var current = 0L;
            if (registry.Find(records[0].SubjectId) is { } subject)
            {
                // The pair's latest record in the log, as every read of the current state takes it.
                var read = statements.Get("SELECT COALESCE((SELECT MAX(sequence) FROM consent_events WHERE subject_key = $key AND purpose_id = $purpose), 0);", transaction);
                read.Parameters.AddWithValue("$key", subject.Key);
                read.Parameters.AddWithValue("$purpose", records[0].PurposeId);
                current = (long)read.ExecuteScalar()!;
            }

            if (current != expected)
            {
                return [];
            }
        }

        // Sequences continue the chain's head: nothing is ever deleted, so the head is the highest.
        var chain = new SqliteChainWriter(statements, transaction);
        var next = chain.LastSequence + 1;
        var stored = new List<ConsentRecord>(records.Count);
        foreach (var record in records)
        {
            stored.Add(chain.Append(registry.GetOrCreate(record.SubjectId), record, next++, NoticeDigest(writer, transaction, record)));
        }

        return stored;
    }

    private SqliteStatementCache Statements(SqliteConnection writer) =>
        _statements is { } cached && ReferenceEquals(cached.Connection, writer) ? cached : throw new InvalidOperationException("Appends run on the writer connection.");

    /// <summary>Runs <paramref name="body"/> on the one writer connection, one write at a time.</summary>
    private async ValueTask<T> WriteAsync<T>(Func<SqliteConnection, T> body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            return Guard("write to", () => body(_writer ?? throw new ObjectDisposedException(nameof(SqliteConsentStore))));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private List<ConsentRecord> Query(string sql, Action<SqliteCommand> bind)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        bind(command);
        using var reader = command.ExecuteReader();
        var result = new List<ConsentRecord>();
        ReadAll(reader, result);
        return result;
    }

    // Every connection gets the same settings: a reader that ever wrote (a checkpoint, a future
    // change) must not do it with weaker durability than the writer.
    internal SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Configure(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The writer connection, once initialised: for tests that check its settings.</summary>
    internal SqliteConnection? WriterConnection => _writer;

    private void Configure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA busy_timeout = {(long)BusyTimeout.TotalMilliseconds};";
        command.ExecuteNonQuery();
    }

    private static void ReadAll(SqliteDataReader reader, List<ConsentRecord> into)
    {
        var checkedSubjects = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            into.Add(StoredRows.ReadRecord(reader, checkedSubjects));
        }
    }

    private T Guard<T>(string action, Func<T> body)
    {
        try
        {
            return body();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is raw.SQLITE_BUSY or raw.SQLITE_LOCKED)
        {
            throw new ConsentStoreException(
                $"The consent database at '{_location}' stayed locked by another connection for longer than the busy timeout ({BusyTimeout.TotalSeconds:0.###} s); nothing was written.", ex);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is raw.SQLITE_CANTOPEN)
        {
            throw new ConsentStoreException(
                $"Could not {action} the consent database at '{_location}': the file cannot be opened or created. Check that the directory exists and is writable.", ex);
        }
        catch (SqliteException ex)
        {
            throw new ConsentStoreException($"Could not {action} the consent database at '{_location}': {ex.Message}", ex);
        }
    }
}
