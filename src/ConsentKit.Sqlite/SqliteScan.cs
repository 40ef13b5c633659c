using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ConsentKit.Sqlite;

/// <summary>
/// The two sequential reads of <see cref="SqliteConsentStore.ScanCurrentAsync"/>, stepped with SQLite's own
/// statement API on the connection's handle. Through <see cref="SqliteDataReader"/> each column read costs
/// ≈ 0.2 µs and a key a byte array; here a column is one native call and a key is read from SQLite's
/// buffer: the snapshot read of 100k members (50k records) measured 141 ms against 229 ms before
/// (docs/performance.md).
/// </summary>
internal static class SqliteScan
{
    /// <summary>
    /// The subject registry, key → id, each row checked against its registration in the proof log (a row
    /// swapped, re-pointed or replaced throws <see cref="ConsentStoreIntegrityException"/>).
    /// </summary>
    public static Dictionary<UInt128, string> ReadRegistry(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var subjects = new Dictionary<UInt128, string>();
        using var statement = Prepare(
            connection,
            "SELECT s.subject_key, s.subject_id, s.secret, l.sequence, l.payload, l.previous_hash, l.hash FROM consent_subjects s " +
            "LEFT JOIN consent_proof_log l ON l.subject_key = s.subject_key AND l.kind = 1;");
        int rc;
        while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
        {
            if ((subjects.Count & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var key = raw.sqlite3_column_blob(statement, 0);
            var subjectId = Encoding.UTF8.GetString(raw.sqlite3_column_blob(statement, 1));
            ConsentProofLog.CheckRegistration(
                subjectId,
                key,
                raw.sqlite3_column_blob(statement, 2),
                raw.sqlite3_column_type(statement, 3) == raw.SQLITE_NULL ? 0 : raw.sqlite3_column_int64(statement, 3),
                raw.sqlite3_column_blob(statement, 4),
                raw.sqlite3_column_blob(statement, 5),
                raw.sqlite3_column_blob(statement, 6),
                0);
            subjects[BinaryPrimitives.ReadUInt128BigEndian(key)] = subjectId;
        }

        Done(connection, rc);
        return subjects;
    }

    /// <summary>
    /// Each (subject, purpose) pair's latest event for <paramref name="purposes"/>, subjects in the registry
    /// only (an erased subject's key no longer leads to anyone). A subject's records come out next to each other.
    /// </summary>
    public static List<ConsentRecord> ReadLatestEvents(
        SqliteConnection connection, string[] purposes, Dictionary<UInt128, string> subjects, CancellationToken cancellationToken)
    {
        // The purpose's place in the list, the status, the method and whether there is a source come packed in
        // one integer: every column read is a native call, the largest cost per row here.
        var placeholders = string.Join(", ", purposes.Select((_, i) => "?" + (i + 1).ToString(CultureInfo.InvariantCulture)));
        var positions = string.Concat(purposes.Select((_, i) => string.Create(CultureInfo.InvariantCulture, $" WHEN ?{i + 1} THEN {i}")));
        using var statement = Prepare(
            connection,
            $"SELECT sequence, subject_key, status | (method << 8) | ((CASE purpose_id{positions} END) << 16) | ((source IS NOT NULL) << 30), " +
            $"notice_version, recorded_at, COALESCE(expires_at, -1), source, previous_sequence, notice_digest, metadata, previous_hash, hash " +
            $"FROM consent_events WHERE purpose_id IN ({placeholders}) ORDER BY sequence;");
        for (var i = 0; i < purposes.Length; i++)
        {
            Check(connection, raw.sqlite3_bind_text(statement, i + 1, purposes[i]));
        }

        var purposesUtf8 = purposes.Select(p => Encoding.UTF8.GetBytes(p)).ToArray();

        // Per subject, one slot per purpose: rows come in sequence order, so a later one replaces the earlier.
        var width = purposes.Length;
        var groups = new Dictionary<UInt128, int>();
        var owners = new List<string>();
        var latest = new List<ConsentRecord?>();
        var versions = new Utf8Strings();
        var sources = new Utf8Strings();
        var rows = 0;
        int rc;
        while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
        {
            if ((++rows & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            Check(statement, purposesUtf8);
            var subjectKey = BinaryPrimitives.ReadUInt128BigEndian(raw.sqlite3_column_blob(statement, 1));
            ref var group = ref CollectionsMarshal.GetValueRefOrAddDefault(groups, subjectKey, out var known);
            if (!known)
            {
                if (!subjects.TryGetValue(subjectKey, out var owner))
                {
                    // Erased: the registry no longer links the key to anyone. Remembered as such (-1).
                    group = -1;
                    continue;
                }

                group = owners.Count;
                owners.Add(owner);
                CollectionsMarshal.SetCount(latest, latest.Count + width);
            }
            else if (group < 0)
            {
                continue;
            }

            var packed = raw.sqlite3_column_int(statement, 2);
            var purposeIndex = (packed >> 16) & 0x3FFF;
            var expiresAt = raw.sqlite3_column_int64(statement, 5);
            latest[(group * width) + purposeIndex] = new ConsentRecord(
                raw.sqlite3_column_int64(statement, 0),
                new NewConsentRecord(
                    owners[group],
                    purposes[purposeIndex],
                    (ConsentStatus)(packed & 0xFF),
                    versions.Get(raw.sqlite3_column_blob(statement, 3)),
                    StoredRows.ToTime(raw.sqlite3_column_int64(statement, 4)),
                    expiresAt < 0 ? null : StoredRows.ToTime(expiresAt),
                    (ConsentMethod)((packed >> 8) & 0xFF),
                    (packed & (1 << 30)) == 0 ? null : sources.Get(raw.sqlite3_column_blob(statement, 6))));
        }

        Done(connection, rc);
        var records = new List<ConsentRecord>(owners.Count);
        foreach (var record in latest)
        {
            if (record is not null)
            {
                records.Add(record);
            }
        }

        return records;
    }

    /// <summary>Recomputes the row's hash from its fields and the previous hash stored with it (every row read is checked), from SQLite's buffers.</summary>
    private static void Check(sqlite3_stmt statement, byte[][] purposesUtf8)
    {
        var packed = raw.sqlite3_column_int(statement, 2);
        var expiresAt = raw.sqlite3_column_int64(statement, 5);
        var sequence = raw.sqlite3_column_int64(statement, 0);
        var hasSource = (packed & (1 << 30)) != 0;
        var fields = new ConsentChainFields
        {
            Sequence = sequence,
            PreviousSequence = raw.sqlite3_column_int64(statement, 7),
            PreviousHash = raw.sqlite3_column_blob(statement, 10),
            SubjectKey = raw.sqlite3_column_blob(statement, 1),
            PurposeIdUtf8 = purposesUtf8[(packed >> 16) & 0x3FFF],
            Status = (ConsentStatus)(packed & 0xFF),
            NoticeVersionUtf8 = raw.sqlite3_column_blob(statement, 3),
            NoticeDigest = raw.sqlite3_column_blob(statement, 8),
            RecordedAtUtcTicks = raw.sqlite3_column_int64(statement, 4),
            ExpiresAtUtcTicks = expiresAt < 0 ? null : expiresAt,
            Method = (ConsentMethod)((packed >> 8) & 0xFF),
            HasSource = hasSource,
            SourceUtf8 = hasSource ? raw.sqlite3_column_blob(statement, 6) : [],
            SealedMetadata = raw.sqlite3_column_blob(statement, 9),
        };
        if (!ConsentChain.HashMatches(fields, raw.sqlite3_column_blob(statement, 11)))
        {
            throw new ConsentStoreIntegrityException($"Record {sequence} does not match its hash: it was changed outside ConsentKit, and is not read.", sequence);
        }
    }

    private static sqlite3_stmt Prepare(SqliteConnection connection, string sql)
    {
        Check(connection, raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement));
        return statement;
    }

    private static void Done(SqliteConnection connection, int rc)
    {
        if (rc != raw.SQLITE_DONE)
        {
            Check(connection, rc);
        }
    }

    private static void Check(SqliteConnection connection, int rc) => SqliteException.ThrowExceptionForRC(rc, connection.Handle);

    /// <summary>
    /// The few distinct texts a column holds (notice versions, sources), each made a string once:
    /// compared as UTF-8 bytes, so a row costs no allocation. Past a handful of values it stops remembering.
    /// </summary>
    private sealed class Utf8Strings
    {
        private const int Remembered = 16;
        private readonly List<(byte[] Utf8, string Text)> _values = [];

        public string Get(ReadOnlySpan<byte> utf8)
        {
            foreach (var (bytes, text) in _values)
            {
                if (utf8.SequenceEqual(bytes))
                {
                    return text;
                }
            }

            var value = Encoding.UTF8.GetString(utf8);
            if (_values.Count < Remembered)
            {
                _values.Add((utf8.ToArray(), value));
            }

            return value;
        }
    }
}
