using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace ConsentKit.Snapshots;

/// <summary>The default <see cref="IConsentSnapshots"/>: replays the store's records up to a watermark and decides with the gate's evaluator.</summary>
internal sealed class ConsentSnapshots(IConsentStore store, ConsentPurposeCatalog catalog, TimeProvider timeProvider, IDataUseLedger? ledger = null) : IConsentSnapshots
{
    private const int PageSize = 5_000;
    private static readonly DataField<string> SubjectField = new("subject_id");
    private static readonly DataField<long> SequenceField = new("consent_sequence");
    private static readonly ParquetSchema Schema = new(SubjectField, SequenceField);

    public async ValueTask<ConsentSnapshotInfo> CreateAsync(ConsentSnapshotRequest request, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        var purposeIndex = catalog.IndexOf(request.PurposeId);
        if (purposeIndex < 0)
        {
            throw new ArgumentException($"'{request.PurposeId}' is not a registered purpose.", "request.PurposeId");
        }

        var uses = ledger ?? throw new InvalidOperationException("A snapshot starts a data use, but the configured store keeps no data-use ledger.");
        var watermark = await store.GetLastSequenceAsync(cancellationToken);
        var decidedAt = timeProvider.GetUtcNow();

        // Replay to the watermark: the latest record per subject for the purpose and its ancestors.
        var relevant = new HashSet<int>(catalog.AncestorsOf(purposeIndex).ToArray()) { purposeIndex };
        var current = new Dictionary<string, ConsentRecord?[]>(StringComparer.Ordinal);
        for (long after = 0; after < watermark;)
        {
            var page = await store.GetChangesAsync(after, PageSize, cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var record in page)
            {
                after = record.Sequence;
                if (record.Sequence > watermark)
                {
                    break;
                }

                var index = catalog.IndexOf(record.PurposeId);
                if (index >= 0 && relevant.Contains(index))
                {
                    if (!current.TryGetValue(record.SubjectId, out var records))
                    {
                        current[record.SubjectId] = records = new ConsentRecord?[catalog.Count];
                    }

                    records[index] = record;
                }
            }
        }

        var rows = new List<(string Subject, long Sequence)>();
        foreach (var (subject, records) in current)
        {
            var decision = ConsentEvaluator.Decide(catalog, purposeIndex, records, decidedAt, out _);
            if (decision.IsAllowed)
            {
                rows.Add((subject, decision.Record!.Sequence));
            }
        }

        rows.Sort((a, b) => string.CompareOrdinal(a.Subject, b.Subject));
        var hash = ContentHash(rows);
        var dataUse = await uses.StartAsync(
            new NewDataUse
            {
                Id = request.DataUseId,
                PurposeId = request.PurposeId,
                Description = $"{request.Description} (consent snapshot at sequence {watermark})",
                StartedAt = decidedAt,
            },
            cancellationToken);

        await using (var writer = await ParquetWriter.CreateAsync(Schema, output, cancellationToken: cancellationToken))
        {
            writer.CustomMetadata = new Dictionary<string, string>
            {
                ["consentkit.snapshot"] = "1",
                ["consentkit.data_use_id"] = request.DataUseId,
                ["consentkit.purpose"] = request.PurposeId,
                ["consentkit.watermark"] = watermark.ToString(CultureInfo.InvariantCulture),
                ["consentkit.decided_at"] = decidedAt.ToString("O", CultureInfo.InvariantCulture),
                ["consentkit.rule_version"] = ConsentSnapshotInfo.CurrentRuleVersion,
                ["consentkit.content_sha256"] = hash,
            };
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(SubjectField, rows.Select(r => r.Subject).ToArray(), null);
            await group.WriteAsync<long>(SequenceField, rows.Select(r => r.Sequence).ToArray(), null, null, cancellationToken);
        }

        return new ConsentSnapshotInfo
        {
            DataUse = dataUse,
            PurposeId = request.PurposeId,
            Watermark = watermark,
            DecidedAt = decidedAt,
            RuleVersion = ConsentSnapshotInfo.CurrentRuleVersion,
            SubjectCount = rows.Count,
            ContentSha256 = hash,
        };
    }

    public async ValueTask<DataUse> ImportUsedSubjectsAsync(Stream snapshot, IEnumerable<string> usedSubjectIds, long? itemsSeen = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(usedSubjectIds);
        var uses = ledger ?? throw new InvalidOperationException("The configured store keeps no data-use ledger.");
        var (dataUseId, listed) = await ReadAsync(snapshot, cancellationToken);

        var used = new List<DataUseSubject>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in usedSubjectIds)
        {
            if (id is null || !listed.TryGetValue(id, out var sequence))
            {
                throw new ArgumentException($"'{id}' was not in the snapshot for data use '{dataUseId}': only subjects the snapshot allowed can be recorded. Nothing was written.", nameof(usedSubjectIds));
            }

            if (seen.Add(id))
            {
                used.Add(new DataUseSubject { SubjectId = id, ConsentSequence = sequence });
            }
        }

        await uses.AddSubjectsAsync(dataUseId, used, cancellationToken);
        return await uses.CompleteAsync(dataUseId, timeProvider.GetUtcNow(), itemsSeen ?? used.Count, used.Count, cancellationToken);
    }

    private static async Task<(string DataUseId, Dictionary<string, long> Listed)> ReadAsync(Stream snapshot, CancellationToken cancellationToken)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(snapshot, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            throw new ArgumentException("Not a Parquet file: " + ex.Message, nameof(snapshot), ex);
        }

        await using (reader)
        {
            var metadata = reader.CustomMetadata;
            if (!metadata.TryGetValue("consentkit.snapshot", out _) || !metadata.TryGetValue("consentkit.data_use_id", out var dataUseId)
                || !metadata.TryGetValue("consentkit.content_sha256", out var expected))
            {
                throw new ArgumentException("The file is not a ConsentKit snapshot (its consentkit.* metadata is missing).", nameof(snapshot));
            }

            var rows = new List<(string Subject, long Sequence)>();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var subjects = new string?[group.RowCount];
                var sequences = new long[group.RowCount];
                await group.ReadAsync(SubjectField, subjects.AsMemory(), null, cancellationToken);
                await group.ReadAsync<long>(SequenceField, sequences, null, cancellationToken);
                for (var i = 0; i < subjects.Length; i++)
                {
                    rows.Add((subjects[i] ?? throw new ArgumentException($"Row {i} of the snapshot has no subject id.", nameof(snapshot)), sequences[i]));
                }
            }

            if (!string.Equals(ContentHash(rows), expected, StringComparison.Ordinal))
            {
                throw new ArgumentException("The snapshot's rows do not match its content hash: it was altered after it was written.", nameof(snapshot));
            }

            return (dataUseId, rows.ToDictionary(r => r.Subject, r => r.Sequence, StringComparer.Ordinal));
        }
    }

    private static string ContentHash(List<(string Subject, long Sequence)> rows)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (subject, sequence) in rows)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(subject + "\t" + sequence.ToString(CultureInfo.InvariantCulture) + "\n"));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
