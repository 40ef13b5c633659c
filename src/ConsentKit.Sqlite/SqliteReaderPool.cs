using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>
/// Reader connections kept open with their prepared statements, for the gate's one-subject read: SQLite
/// prepared the statement on every read otherwise, ≈ 40 of the ≈ 75 µs a gate miss took (docs/performance.md).
/// At most <paramref name="keep"/> are kept; a read that finds none opens one.
/// </summary>
internal sealed class SqliteReaderPool(Func<SqliteConnection> open, int keep) : IDisposable
{
    private readonly ConcurrentBag<SqliteStatementCache> _readers = [];
    private volatile bool _disposed;

    /// <summary>Runs <paramref name="body"/> on a kept reader; the reader is kept again only if it succeeded.</summary>
    public T Use<T>(Func<SqliteStatementCache, T> body)
    {
        var reader = _readers.TryTake(out var kept) ? kept : new SqliteStatementCache(open());
        var healthy = false;
        try
        {
            var result = body(reader);
            healthy = true;
            return result;
        }
        finally
        {
            if (healthy && !_disposed && _readers.Count < keep)
            {
                _readers.Add(reader);
            }
            else
            {
                Close(reader);
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_readers.TryTake(out var reader))
        {
            Close(reader);
        }
    }

    private static void Close(SqliteStatementCache reader)
    {
        reader.Dispose();
        reader.Connection.Dispose();
    }
}
