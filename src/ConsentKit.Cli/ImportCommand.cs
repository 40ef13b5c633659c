using System.Diagnostics;
using System.Globalization;
using ConsentKit.Import;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Cli;

/// <summary><c>import</c>: another consent platform's export into the store, checked first, then chained in batches.</summary>
internal static class ImportCommand
{
    public static Task<int> RunAsync(
        StoreSettings store, FileInfo file, string? format, string[] maps, string? source, int? batchSize, TextWriter output, TextWriter error, CancellationToken ct) =>
        ExitCodes.GuardAsync(store, error, async () =>
        {
            var columns = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var map in maps)
            {
                var equals = map.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || equals == map.Length - 1)
                {
                    throw new ArgumentException($"--map takes field=column (e.g. subject_id=user_id), not '{map}'.", "--map");
                }

                columns[map[..equals]] = map[(equals + 1)..];
            }

            ConsentImportFormat? parsedFormat = format switch
            {
                null => null,
                "csv" => ConsentImportFormat.Csv,
                "jsonl" or "ndjson" => ConsentImportFormat.JsonLines,
                _ => throw new ArgumentException($"--format must be csv or jsonl, not '{format}'.", "--format"),
            };

            // The purposes the store keeps notices for, as the app registered them: a row for any other purpose is refused.
            await using var services = await Services.BuildWithStorePurposesAsync(store, ct, kit => kit.AddConsentImport(o =>
            {
                foreach (var (field, column) in columns)
                {
                    o.Columns[field] = column;
                }

                o.DefaultSource = source ?? o.DefaultSource;
                o.BatchSize = batchSize ?? o.BatchSize;
            }));

            IConsentImporter importer;
            try
            {
                importer = services.GetRequiredService<IConsentImporter>();
                _ = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConsentImportOptions>>().Value;
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                await error.WriteLineAsync(string.Join(Environment.NewLine, ex.Failures));
                return ExitCodes.BadInput;
            }

            var clock = Stopwatch.StartNew();
            ConsentImportResult result;
            try
            {
                result = await importer.ImportFileAsync(file.FullName, parsedFormat, ct);
            }
            catch (ConsentImportException ex)
            {
                await error.WriteLineAsync($"{file.Name}: {ex.RowsWithProblems} row(s) cannot be imported; nothing was written.");
                foreach (var problem in ex.Problems)
                {
                    await error.WriteLineAsync($"  {problem}");
                }

                if (ex.RowsWithProblems > ex.Problems.Count)
                {
                    await error.WriteLineAsync($"  … and {ex.RowsWithProblems - ex.Problems.Count} more.");
                }

                return ExitCodes.BadInput;
            }

            var seconds = clock.Elapsed.TotalSeconds;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Imported {result.Imported:N0} of {result.Rows:N0} rows in {seconds:0.0} s ({result.Imported / Math.Max(seconds, 0.001):N0} records/s), {result.Batches} batch(es), sequences {result.FirstSequence}–{result.LastSequence}."));
            if (result.Skipped > 0)
            {
                await output.WriteLineAsync($"Skipped {result.Skipped:N0} row(s): the store already holds a choice for that person and purpose as recent or newer.");
            }

            if (result.GrantsUnderOlderNotice > 0)
            {
                await output.WriteLineAsync($"{result.GrantsUnderOlderNotice:N0} of {result.Grants:N0} grants are under an older notice: they deny until the person grants again under the current one.");
            }

            await output.WriteLineAsync("Run `consentkit verify` to prove the history, imported records included.");
            return ExitCodes.Ok;
        });
}
