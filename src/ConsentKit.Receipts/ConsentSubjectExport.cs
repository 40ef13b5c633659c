namespace ConsentKit.Receipts;

/// <summary>Everything ConsentKit holds about one person, as one document (GDPR Art. 15 access and Art. 20 portability).</summary>
public sealed class ConsentSubjectExport
{
    /// <summary>The export format's version.</summary>
    public const string CurrentSchemaVersion = "consentkit-export/1";

    /// <summary>The export format: <see cref="CurrentSchemaVersion"/>.</summary>
    public required string SchemaVersion { get; init; }

    /// <summary>The person.</summary>
    public required string SubjectId { get; init; }

    /// <summary>When the export was made.</summary>
    public required DateTimeOffset ExportedAt { get; init; }

    /// <summary>Every consent record, oldest first, each with the notice text and its signed receipt.</summary>
    public required IReadOnlyList<ExportedConsentRecord> Records { get; init; }

    /// <summary>Every data use (training set and the like) that included the person's data, with the grant that allowed it.</summary>
    public required IReadOnlyList<ExportedDataUse> DataUses { get; init; }
}

/// <summary>One record in an export.</summary>
public sealed class ExportedConsentRecord
{
    /// <summary>The store sequence.</summary>
    public required long Sequence { get; init; }

    /// <summary>The purpose.</summary>
    public required string PurposeId { get; init; }

    /// <summary><c>granted</c>, <c>refused</c> or <c>withdrawn</c>.</summary>
    public required string Status { get; init; }

    /// <summary>The notice version.</summary>
    public required string NoticeVersion { get; init; }

    /// <summary>The notice text the person saw; <see langword="null"/> when none was kept for that version.</summary>
    public string? NoticeText { get; init; }

    /// <summary>When it was recorded.</summary>
    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>When a grant expires.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>How it was expressed.</summary>
    public required string Method { get; init; }

    /// <summary>Where it was expressed.</summary>
    public string? Source { get; init; }

    /// <summary>The evidence kept with it.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>The signed receipt (compact JWS).</summary>
    public required string Receipt { get; init; }
}

/// <summary>A data use in an export.</summary>
public sealed class ExportedDataUse
{
    /// <summary>The data use.</summary>
    public required DataUse DataUse { get; init; }

    /// <summary>The sequence of the person's grant that let their data in.</summary>
    public required long ConsentSequence { get; init; }
}

/// <summary>Makes <see cref="ConsentSubjectExport"/> documents.</summary>
public interface IConsentSubjectExporter
{
    /// <summary>Everything held about <paramref name="subjectId"/>; records and data uses are empty for someone never seen (or erased).</summary>
    /// <param name="subjectId">The person.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException"><paramref name="subjectId"/> is malformed.</exception>
    /// <exception cref="ConsentStoreException">The store failed or did not answer in time.</exception>
    ValueTask<ConsentSubjectExport> ExportAsync(string subjectId, CancellationToken cancellationToken = default);
}

internal sealed class ConsentSubjectExporter(
    IConsentReader reader,
    ConsentReceiptService receipts,
    TimeProvider timeProvider,
    IDataUseLedger? ledger = null) : IConsentSubjectExporter
{
    public async ValueTask<ConsentSubjectExport> ExportAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ConsentRecordRules.ValidateSubjectId(subjectId, nameof(subjectId));
        var exportedAt = timeProvider.GetUtcNow();
        var records = new List<ExportedConsentRecord>();
        foreach (var entry in await reader.GetHistoryAsync(subjectId, cancellationToken))
        {
            var record = entry.Record;
            var receipt = await receipts.IssueAsync(entry, cancellationToken);
            records.Add(new ExportedConsentRecord
            {
                Sequence = record.Sequence,
                PurposeId = record.PurposeId,
                Status = ConsentVocabulary.NameOf(record.Status),
                NoticeVersion = record.NoticeVersion,
                NoticeText = entry.Notice?.Text,
                RecordedAt = record.RecordedAt,
                ExpiresAt = record.ExpiresAt,
                Method = ConsentVocabulary.NameOf(record.Method),
                Source = record.Source,
                Metadata = record.Metadata,
                Receipt = receipt.Token,
            });
        }

        var dataUses = new List<ExportedDataUse>();
        if (ledger is not null)
        {
            foreach (var use in await reader.GetDataUsesAsync(subjectId, cancellationToken))
            {
                // A use lists its subjects by grant: the person's line is the one with their id.
                var line = (await ledger.GetSubjectsAsync(use.Id, cancellationToken)).FirstOrDefault(s => s.SubjectId == subjectId);
                if (line is not null)
                {
                    dataUses.Add(new ExportedDataUse { DataUse = use, ConsentSequence = line.ConsentSequence });
                }
            }
        }

        return new ConsentSubjectExport
        {
            SchemaVersion = ConsentSubjectExport.CurrentSchemaVersion,
            SubjectId = subjectId,
            ExportedAt = exportedAt,
            Records = records,
            DataUses = dataUses,
        };
    }
}
