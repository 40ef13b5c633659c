using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ConsentKit.Storage;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite;

/// <summary>The tamper-evident history, the kept notices and erasure (docs/history-proof.md).</summary>
public sealed partial class SqliteConsentStore
{
    // Kept notices never change (triggers refuse it), so a digest once read stays right.
    private readonly ConcurrentDictionary<(string Purpose, string Version), byte[]> _noticeDigests = new();

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentChainEntry>> GetChainAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return await ReadRowsAsync(
            $"SELECT {StoredRows.ChainColumns} FROM consent_events WHERE sequence > $after ORDER BY sequence LIMIT $limit;",
            command =>
            {
                command.Parameters.AddWithValue("$after", afterSequence);
                command.Parameters.AddWithValue("$limit", maxCount);
            },
            StoredRows.ReadChainEntry,
            cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentProofEntry>> GetProofLogAsync(long afterSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return await ReadRowsAsync(
            "SELECT sequence, kind, payload, previous_hash, hash FROM consent_proof_log WHERE sequence > $after ORDER BY sequence LIMIT $limit;",
            command =>
            {
                command.Parameters.AddWithValue("$after", afterSequence);
                command.Parameters.AddWithValue("$limit", maxCount);
            },
            StoredRows.ReadProofEntry,
            cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ConsentSubjectRegistration> GetSubjectRegistryAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var rows = await ReadRowsAsync(
            "SELECT subject_id, subject_key, secret FROM consent_subjects;",
            null,
            reader => new ConsentSubjectRegistration { SubjectId = reader.GetString(0), SubjectKey = (byte[])reader[1], Secret = (byte[])reader[2] },
            cancellationToken);
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return row;
        }
    }

    /// <inheritdoc />
    /// <remarks>SQLite's own AUTOINCREMENT counter for <c>consent_events</c> (<c>sqlite_sequence</c>), which a DELETE does not set back.</remarks>
    public async ValueTask<long> GetSequenceCounterAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return Guard("read", () =>
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'consent_events'), 0);";
            return (long)command.ExecuteScalar()!;
        });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ConsentCurrentPointer> GetCurrentStateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var rows = await ReadRowsAsync(
            "SELECT subject_key, purpose_id, sequence FROM consent_current;",
            null,
            reader => new ConsentCurrentPointer { SubjectKey = (byte[])reader[0], PurposeId = reader.GetString(1), Sequence = reader.GetInt64(2) },
            cancellationToken);
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return row;
        }
    }

    /// <summary>Reads every row of one query on a pooled reader connection, mapped by <paramref name="map"/>.</summary>
    private async ValueTask<List<T>> ReadRowsAsync<T>(string sql, Action<SqliteCommand>? bind, Func<SqliteDataReader, T> map, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return Guard("read", () =>
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            bind?.Invoke(command);
            using var reader = command.ExecuteReader();
            var result = new List<T>();
            while (reader.Read())
            {
                result.Add(map(reader));
            }

            return result;
        });
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

        var kept = (await GetNoticesAsync(cancellationToken)).ToDictionary(n => (n.PurposeId, n.NoticeVersion));
        if (notices.All(n => kept.TryGetValue((n.PurposeId, n.NoticeVersion), out var k) && k.SameAs(n)))
        {
            return;
        }

        await WriteAsync(writer =>
        {
            using var transaction = writer.BeginTransaction(deferred: false);
            using var read = writer.CreateCommand();
            read.Transaction = transaction;
            read.CommandText = "SELECT display_name, text FROM consent_notices WHERE purpose_id = $purpose AND notice_version = $version;";
            var readPurpose = read.Parameters.Add("$purpose", SqliteType.Text);
            var readVersion = read.Parameters.Add("$version", SqliteType.Text);
            using var insert = writer.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText =
                "INSERT INTO consent_notices (purpose_id, notice_version, display_name, text, digest, first_seen_at) VALUES ($purpose, $version, $name, $text, $digest, $at);";
            foreach (var notice in notices)
            {
                readPurpose.Value = notice.PurposeId;
                readVersion.Value = notice.NoticeVersion;
                using (var reader = read.ExecuteReader())
                {
                    if (reader.Read())
                    {
                        var existing = new ConsentNotice { PurposeId = notice.PurposeId, NoticeVersion = notice.NoticeVersion, DisplayName = reader.GetString(0), Text = reader.GetString(1) };
                        if (!existing.SameAs(notice))
                        {
                            throw new ConsentNoticeConflictException(existing, notice);
                        }

                        continue;
                    }
                }

                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$purpose", notice.PurposeId);
                insert.Parameters.AddWithValue("$version", notice.NoticeVersion);
                insert.Parameters.AddWithValue("$name", notice.DisplayName);
                insert.Parameters.AddWithValue("$text", notice.Text);
                insert.Parameters.AddWithValue("$digest", notice.Digest.ToArray());
                insert.Parameters.AddWithValue("$at", seenAt.UtcTicks);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentNotice>> GetNoticesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        return Guard("read", () =>
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT purpose_id, notice_version, display_name, text FROM consent_notices ORDER BY purpose_id, notice_version;";
            using var reader = command.ExecuteReader();
            var result = new List<ConsentNotice>();
            while (reader.Read())
            {
                result.Add(new ConsentNotice { PurposeId = reader.GetString(0), NoticeVersion = reader.GetString(1), DisplayName = reader.GetString(2), Text = reader.GetString(3) });
            }

            return (IReadOnlyList<ConsentNotice>)result;
        });
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentRecord>?> EraseSubjectAsync(string subjectId, DateTimeOffset erasedAt, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        var erased = await WriteAsync(writer =>
        {
            using var transaction = writer.BeginTransaction(deferred: false);
            var subject = new SqliteSubjectRegistry(Statements(writer), transaction, log: null).Find(subjectId);
            if (subject is null)
            {
                return null;
            }

            var open = new List<ConsentRecord>();
            using (var read = writer.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, CurrentSelect, "s.subject_id = $subject") + " ORDER BY e.sequence;";
                read.Parameters.AddWithValue("$subject", subjectId);
                using var reader = read.ExecuteReader();
                ReadAll(reader, open);
                open.RemoveAll(r => r.Status != ConsentStatus.Granted);
            }

            var closing = open.Count == 0
                ? []
                : AppendInTransaction(writer, transaction, [.. open.Select(g => ConsentErasure.ClosingWithdrawal(g, erasedAt))]);

            // The only DELETE ConsentKit ever runs. With secure_delete the row's bytes are overwritten.
            using (var delete = writer.CreateCommand())
            {
                delete.Transaction = transaction;
                delete.CommandText = "DELETE FROM consent_subjects WHERE subject_id = $subject;";
                delete.Parameters.AddWithValue("$subject", subjectId);
                delete.ExecuteNonQuery();
            }

            // The log tells this deletion from a row deleted outside ConsentKit.
            new SqliteProofLogWriter(Statements(writer), transaction)
                .Append(ConsentProofEntryKind.SubjectErased, ConsentProofLog.SubjectErased(subject.Key, erasedAt), subject.Key);

            transaction.Commit();
            return (IReadOnlyList<ConsentRecord>)[.. closing.Select(r => ConsentErasure.ErasedRecord(
                r.Sequence, r.SubjectKey, r.PurposeId, r.Status, r.NoticeVersion, r.RecordedAt, r.ExpiresAt, r.Method, r.Source))];
        }, cancellationToken);

        if (erased is not null)
        {
            // Copy the overwritten pages back into the database file and empty the WAL, so the erased id
            // does not linger in the log (best effort: a reader still open can keep older frames).
            await WriteAsync(writer =>
            {
                SqliteSchema.Execute(writer, "PRAGMA wal_checkpoint(TRUNCATE);");
                return 0;
            }, cancellationToken);
        }

        return erased;
    }

    private byte[] NoticeDigest(SqliteConnection writer, SqliteTransaction transaction, NewConsentRecord record)
    {
        if (_noticeDigests.TryGetValue((record.PurposeId, record.NoticeVersion), out var digest))
        {
            return digest;
        }

        var command = Statements(writer).Get("SELECT digest FROM consent_notices WHERE purpose_id = $purpose AND notice_version = $version;", transaction);
        command.Parameters.AddWithValue("$purpose", record.PurposeId);
        command.Parameters.AddWithValue("$version", record.NoticeVersion);
        if (command.ExecuteScalar() is byte[] found)
        {
            _noticeDigests[(record.PurposeId, record.NoticeVersion)] = found;
            return found;
        }

        return ConsentChain.NoNoticeDigest.ToArray();
    }
}
