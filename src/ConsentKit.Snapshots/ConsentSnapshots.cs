using System.Globalization;
using ConsentKit.OpenLineage;

namespace ConsentKit.Snapshots;

/// <summary>
/// The default <see cref="IConsentSnapshots"/>: one purpose-wide read through <see cref="IConsentPurposeReader"/>,
/// decided by the same service as every gate check. Public API of the core only.
/// </summary>
internal sealed class ConsentSnapshots(IConsentPurposeReader purposes, ConsentPurposeCatalog catalog, TimeProvider timeProvider, IDataUseLedger? ledger = null) : IConsentSnapshots
{
    /// <summary>Used subjects recorded per ledger call (about a second's work on PostgreSQL).</summary>
    internal const int UsedSubjectsPerCall = 100_000;

    public async ValueTask<ConsentSnapshotInfo> CreateAsync(ConsentSnapshotRequest request, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        if (!catalog.TryGetPurpose(request.PurposeId, out _))
        {
            throw new ArgumentException($"'{request.PurposeId}' is not a registered purpose.", "request.PurposeId");
        }

        if (!Enum.IsDefined(request.Format))
        {
            throw new ArgumentOutOfRangeException("request.Format", request.Format, "Format must be Parquet or Csv.");
        }

        var uses = ledger ?? throw new InvalidOperationException("A snapshot starts a data use, but the configured store keeps no data-use ledger.");
        if (await uses.GetAsync(request.DataUseId, cancellationToken) is not null)
        {
            throw new ArgumentException($"The data use '{request.DataUseId}' exists already: a snapshot starts a new one. Nothing was written.", "request.DataUseId");
        }

        // The same decisions as a large in-process run (one scan at one watermark), written as they are read: on a
        // store that streams its scan, memory does not grow with the number of subjects.
        ConsentAllowedSubjectStream decisions;
        try
        {
            decisions = await purposes.StreamAllowedAsync(request.PurposeId, cancellationToken);
        }
        catch (ConsentStoreException ex)
        {
            throw new ConsentStoreException($"The consent store could not be read for a '{request.PurposeId}' snapshot; nothing was written.", ex);
        }

        SnapshotRows written;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["consentkit.snapshot"] = "1",
            ["consentkit.data_use_id"] = request.DataUseId,
            ["consentkit.purpose"] = decisions.PurposeId,
            ["consentkit.watermark"] = decisions.Watermark.ToString(CultureInfo.InvariantCulture),
            ["consentkit.decided_at"] = decisions.DecidedAt.ToString("O", CultureInfo.InvariantCulture),
            ["consentkit.rule_version"] = ConsentSnapshotInfo.CurrentRuleVersion,
        };
        await using (decisions)
        {
            written = await (request.Format == ConsentSnapshotFormat.Csv
                ? CsvSnapshotFile.WriteAsync(metadata, decisions.Subjects, output, cancellationToken)
                : ParquetSnapshotFile.WriteAsync(metadata, decisions.Subjects, output, cancellationToken));
        }

        var hash = written.ContentSha256;
        uses.NoteSnapshot(request.DataUseId, decisions.Watermark, hash);
        var dataUse = await uses.StartAsync(
            new NewDataUse
            {
                Id = request.DataUseId,
                PurposeId = request.PurposeId,
                Description = $"{request.Description} (consent snapshot at sequence {decisions.Watermark})",
                StartedAt = decisions.DecidedAt,
            },
            cancellationToken);

        return new ConsentSnapshotInfo
        {
            DataUse = dataUse,
            PurposeId = decisions.PurposeId,
            Watermark = decisions.Watermark,
            DecidedAt = decisions.DecidedAt,
            RuleVersion = ConsentSnapshotInfo.CurrentRuleVersion,
            SubjectCount = written.Count,
            ContentSha256 = hash,
        };
    }

    public async ValueTask<DataUse> ImportUsedSubjectsAsync(Stream snapshot, IEnumerable<string> usedSubjectIds, long? itemsSeen = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(usedSubjectIds);
        var uses = ledger ?? throw new InvalidOperationException("The configured store keeps no data-use ledger.");
        var content = await SnapshotContent.ReadAsync(snapshot, cancellationToken);
        if (!content.Metadata.TryGetValue("consentkit.snapshot", out _) || !content.Metadata.TryGetValue("consentkit.data_use_id", out var dataUseId)
            || !content.Metadata.TryGetValue("consentkit.content_sha256", out var expected))
        {
            throw new ArgumentException("The file is not a ConsentKit snapshot (its consentkit.* metadata is missing).", nameof(snapshot));
        }

        if (!string.Equals(SnapshotContent.ContentHash(content.Rows), expected, StringComparison.Ordinal))
        {
            throw new ArgumentException("The snapshot's rows do not match its content hash: it was altered after it was written.", nameof(snapshot));
        }

        var listed = new Dictionary<string, long>(content.Rows.Count, StringComparer.Ordinal);
        foreach (var (subject, sequence) in content.Rows)
        {
            listed[subject] = sequence;
        }

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

        // In parts: one statement for millions of people runs past a server's statement time-out (PostgreSQL: 4.4M
        // failed at Npgsql's 30 s). Adding is idempotent per person, so a run that fails part-way can simply be repeated.
        foreach (var part in used.Chunk(UsedSubjectsPerCall))
        {
            await uses.AddSubjectsAsync(dataUseId, part, cancellationToken);
        }

        if (content.Metadata.TryGetValue("consentkit.watermark", out var watermark) && long.TryParse(watermark, CultureInfo.InvariantCulture, out var watermarkSequence))
        {
            uses.NoteSnapshot(dataUseId, watermarkSequence, expected);
        }

        return await uses.CompleteAsync(dataUseId, timeProvider.GetUtcNow(), itemsSeen ?? used.Count, used.Count, cancellationToken);
    }
}
