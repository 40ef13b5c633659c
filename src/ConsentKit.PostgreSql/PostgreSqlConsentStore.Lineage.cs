using ConsentKit.Storage;
using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary>
/// The lineage half of <see cref="PostgreSqlConsentStore"/>: entries of <c>consent_proof_log</c>, with
/// <c>consent_lineage_artifacts</c> keeping artifact ids unique across instances.
/// </summary>
public sealed partial class PostgreSqlConsentStore : ILineageStore
{
    /// <inheritdoc />
    public async ValueTask<ConsentProofEntry> AppendLineageAsync(ConsentProofEntryKind kind, string? artifactId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        LineageStoreRules.CheckAppend(kind, artifactId);
        cancellationToken.ThrowIfCancellationRequested();
        await InitializeAsync(cancellationToken);
        var entry = await GuardAsync("write to", async ct =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var appended = (await PostgreSqlProofLog.AppendAsync(connection, transaction, _schema, [new(kind, payload.ToArray())], ct))[0];
            if (kind == ConsentProofEntryKind.ArtifactRecorded)
            {
                // After the log's lock: a racing recorder of the same id waits for this commit, then finds the id taken.
                await using var claim = new NpgsqlCommand(
                    $"INSERT INTO {_schema}.consent_lineage_artifacts (id, log_sequence) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING;", connection, transaction);
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = artifactId });
                claim.Parameters.Add(new NpgsqlParameter<long> { TypedValue = appended.Sequence });
                if (await claim.ExecuteNonQueryAsync(ct) == 0)
                {
                    return null;
                }
            }

            await transaction.CommitAsync(ct);
            return appended;
        }, cancellationToken);
        return entry ?? throw LineageStoreRules.Taken(artifactId!);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentProofEntry>> GetLineageAsync(long afterLogSequence, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterLogSequence);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        return QueryAsync(
            $"SELECT sequence, kind, payload, previous_hash, hash FROM {_schema}.consent_proof_log WHERE kind >= 6 AND sequence > $1 ORDER BY sequence LIMIT $2;",
            c =>
            {
                c.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterLogSequence });
                c.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
            },
            ReadProofEntry,
            cancellationToken);
    }
}
