using ConsentKit.Storage;

namespace ConsentKit.Sqlite;

/// <summary>
/// The lineage half of <see cref="SqliteConsentStore"/>: entries of <c>consent_proof_log</c>, with
/// <c>consent_lineage_artifacts</c> keeping artifact ids unique.
/// </summary>
public sealed partial class SqliteConsentStore : ILineageStore
{
    /// <inheritdoc />
    public async ValueTask<ConsentProofEntry> AppendLineageAsync(ConsentProofEntryKind kind, string? artifactId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        LineageStoreRules.CheckAppend(kind, artifactId);
        return await WriteAsync(writer =>
        {
            using var transaction = writer.BeginTransaction(deferred: false);
            var entry = new SqliteProofLogWriter(Statements(writer), transaction).Append(kind, payload.ToArray());
            if (kind == ConsentProofEntryKind.ArtifactRecorded)
            {
                using var claim = writer.CreateCommand();
                claim.Transaction = transaction;
                claim.CommandText = "INSERT INTO consent_lineage_artifacts (id, log_sequence) VALUES ($id, $sequence) ON CONFLICT (id) DO NOTHING;";
                claim.Parameters.AddWithValue("$id", artifactId);
                claim.Parameters.AddWithValue("$sequence", entry.Sequence);
                if (claim.ExecuteNonQuery() == 0)
                {
                    throw LineageStoreRules.Taken(artifactId!);
                }
            }

            transaction.Commit();
            return entry;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentProofEntry>> GetLineageAsync(long afterLogSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterLogSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return await ReadRowsAsync(
            "SELECT sequence, kind, payload, previous_hash, hash FROM consent_proof_log WHERE kind >= 6 AND sequence > $after ORDER BY sequence LIMIT $limit;",
            command =>
            {
                command.Parameters.AddWithValue("$after", afterLogSequence);
                command.Parameters.AddWithValue("$limit", maxCount);
            },
            StoredRows.ReadProofEntry,
            cancellationToken);
    }
}
