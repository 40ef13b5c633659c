using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConsentKit.Import;

/// <summary>The importer: check the whole file, then write it in batches (see <see cref="IConsentImporter"/>).</summary>
internal sealed class ConsentImporter(
    IConsentStore store,
    ConsentPurposeCatalog catalog,
    IOptions<ConsentImportOptions> options,
    TimeProvider timeProvider,
    IServiceProvider services) : IConsentImporter
{
    private readonly IConsentCacheInvalidator? _cache = services.GetService<IConsentCacheInvalidator>();

    public async Task<ConsentImportResult> ImportFileAsync(string path, ConsentImportFormat? format = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new ArgumentException($"There is no file at '{Path.GetFullPath(path)}'.", nameof(path));
        }

        var resolved = format ?? Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => ConsentImportFormat.Csv,
            ".jsonl" or ".ndjson" => ConsentImportFormat.JsonLines,
            _ => throw new ArgumentException($"Cannot tell the format of '{Path.GetFileName(path)}' from its extension: name it .csv or .jsonl, or give the format.", nameof(format)),
        };
        await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return await ImportCoreAsync(input, resolved, nameof(path), cancellationToken);
    }

    public Task<ConsentImportResult> ImportAsync(Stream input, ConsentImportFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!input.CanSeek || !input.CanRead)
        {
            throw new ArgumentException("The import reads its input twice (check, then write): give a readable, seekable stream, or a file path.", nameof(input));
        }

        if (!Enum.IsDefined(format))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown import format.");
        }

        return ImportCoreAsync(input, format, nameof(input), cancellationToken);
    }

    private async Task<ConsentImportResult> ImportCoreAsync(Stream input, ConsentImportFormat format, string paramName, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var columns = ImportFields.Mapped(settings);
        var kept = (await store.GetNoticesAsync(cancellationToken)).Select(n => (n.PurposeId, n.NoticeVersion)).ToHashSet();
        var parser = new ImportRowParser(catalog, kept, timeProvider.GetUtcNow(), settings.DefaultSource);
        var start = input.Position;

        var rows = await Task.Run(() => Check(input, format, columns, parser, settings.MaxProblems, paramName), cancellationToken);
        input.Position = start;
        return await WriteAsync(input, format, columns, parser, rows, settings.BatchSize, cancellationToken);
    }

    /// <summary>Reads every row and checks it; throws with every problem (up to the limit) before anything is written.</summary>
    private static long Check(Stream input, ConsentImportFormat format, string[] columns, ImportRowParser parser, int maxProblems, string paramName)
    {
        using var reader = ImportRowReader.Open(input, format, columns);
        var problems = new List<ConsentImportProblem>(reader.FileProblems);
        long bad = problems.Count;
        long rows = 0;
        var row = new ImportRow();
        while (reader.Read(row))
        {
            rows++;
            if (parser.Parse(row, out var problem) is null)
            {
                bad++;
                if (problems.Count < maxProblems)
                {
                    problems.Add(problem!);
                }
            }
        }

        return bad > 0 ? throw new ConsentImportException(problems, bad, paramName) : rows;
    }

    private async Task<ConsentImportResult> WriteAsync(
        Stream input, ConsentImportFormat format, string[] columns, ImportRowParser parser, long rows, int batchSize, CancellationToken cancellationToken)
    {
        using var reader = ImportRowReader.Open(input, format, columns);
        var row = new ImportRow();
        long imported = 0, skipped = 0, grants = 0, olderNotice = 0, first = 0, last = 0;
        var batches = 0;

        // Reading the next batch overlaps the store's write of this one.
        List<NewConsentRecord> ReadBatch()
        {
            var batch = new List<NewConsentRecord>(batchSize);
            while (batch.Count < batchSize && reader.Read(row))
            {
                batch.Add(parser.Parse(row, out _) ?? throw new UnreachableException("A row that passed the check failed it on the second read: the file changed during the import."));
            }

            return batch;
        }

        var next = Task.Run(ReadBatch, cancellationToken);
        while (true)
        {
            var batch = await next;
            if (batch.Count == 0)
            {
                break;
            }

            next = Task.Run(ReadBatch, cancellationToken);
            var toAppend = await NewerThanStoredAsync(batch, cancellationToken);
            skipped += batch.Count - toAppend.Count;
            if (toAppend.Count == 0)
            {
                continue;
            }

            var stored = await store.AppendManyAsync(toAppend, cancellationToken);
            batches++;
            imported += stored.Count;
            first = first == 0 ? stored[0].Sequence : first;
            last = stored[^1].Sequence;
            foreach (var record in toAppend)
            {
                if (record.Status == ConsentStatus.Granted)
                {
                    grants++;
                    if (catalog.TryGetPurpose(record.PurposeId, out var purpose) && purpose.NoticeVersion != record.NoticeVersion)
                    {
                        olderNotice++;
                    }
                }
            }

            if (_cache is not null)
            {
                foreach (var subject in toAppend.Select(r => r.SubjectId).Distinct(StringComparer.Ordinal))
                {
                    _cache.Invalidate(subject);
                }
            }
        }

        return new ConsentImportResult
        {
            Rows = rows,
            Imported = imported,
            Skipped = skipped,
            Grants = grants,
            GrantsUnderOlderNotice = olderNotice,
            Batches = batches,
            FirstSequence = first,
            LastSequence = last,
        };
    }

    /// <summary>
    /// The batch without the rows that would make an older choice current: a row is kept only when it is recorded
    /// after the pair's latest choice in the store and after every earlier kept row of the pair in the batch.
    /// </summary>
    private async Task<List<NewConsentRecord>> NewerThanStoredAsync(List<NewConsentRecord> batch, CancellationToken cancellationToken)
    {
        var subjects = batch.Select(r => r.SubjectId).Distinct(StringComparer.Ordinal).ToArray();
        var latest = new Dictionary<(string Subject, string Purpose), DateTimeOffset>();
        foreach (var record in await store.GetCurrentManyAsync(subjects, cancellationToken))
        {
            latest[(record.SubjectId, record.PurposeId)] = record.RecordedAt;
        }

        var kept = new List<NewConsentRecord>(batch.Count);
        foreach (var record in batch)
        {
            var pair = (record.SubjectId, record.PurposeId);
            if (latest.TryGetValue(pair, out var newest) && record.RecordedAt <= newest)
            {
                continue;
            }

            latest[pair] = record.RecordedAt;
            kept.Add(record);
        }

        return kept;
    }
}
