using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

        if (!string.Equals(content.ContentSha256, expected, StringComparison.Ordinal))
        {
            throw new ArgumentException("The snapshot's rows do not match its content hash: it was altered after it was written.", nameof(snapshot));
        }

        // Each used id is checked against the snapshot and marked there by negating its sequence (sequences start at
        // 1): nothing is written until every id passed, and the marks are the only list of who was used (7M people:
        // no second list and no set beside the map).
        var listed = content.Listed;
        var usedCount = 0;
        foreach (var id in usedSubjectIds)
        {
            ref var sequence = ref id is null ? ref Unsafe.NullRef<long>() : ref CollectionsMarshal.GetValueRefOrNullRef(listed, id);
            if (Unsafe.IsNullRef(ref sequence))
            {
                throw new ArgumentException($"'{id}' was not in the snapshot for data use '{dataUseId}': only subjects the snapshot allowed can be recorded. Nothing was written.", nameof(usedSubjectIds));
            }

            if (sequence > 0)
            {
                sequence = -sequence;
                usedCount++;
            }
        }

        // In parts: one statement for millions of people runs past a server's statement time-out (PostgreSQL: 4.4M
        // failed at Npgsql's 30 s). Adding is idempotent per person, so a run that fails part-way can simply be repeated.
        var part = new List<DataUseSubject>(Math.Min(usedCount, UsedSubjectsPerCall));
        foreach (var (subject, sequence) in listed)
        {
            if (sequence < 0)
            {
                part.Add(new DataUseSubject { SubjectId = subject, ConsentSequence = -sequence });
                if (part.Count == UsedSubjectsPerCall)
                {
                    // A new list per call: a ledger may keep the one it was given.
                    await uses.AddSubjectsAsync(dataUseId, part, cancellationToken);
                    part = new List<DataUseSubject>(Math.Min(usedCount, UsedSubjectsPerCall));
                }
            }
        }

        if (part.Count > 0)
        {
            await uses.AddSubjectsAsync(dataUseId, part, cancellationToken);
        }

        if (content.Metadata.TryGetValue("consentkit.watermark", out var watermark) && long.TryParse(watermark, CultureInfo.InvariantCulture, out var watermarkSequence))
        {
            uses.NoteSnapshot(dataUseId, watermarkSequence, expected);
        }

        return await uses.CompleteAsync(dataUseId, timeProvider.GetUtcNow(), itemsSeen ?? usedCount, usedCount, cancellationToken);
    }
}
