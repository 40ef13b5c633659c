using System.Diagnostics;
using System.Globalization;
using ConsentKit.Import;
using ConsentKit.PostgreSql;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Benchmarks;

/// <summary>
/// The scale set's first step: a CSV export of N people (one choice each: 70 % granted, 20 % refused, 10 % granted
/// then withdrawn), imported into a fresh PostgreSQL schema with <see cref="IConsentImporter"/>, then the whole history
/// verified. Prints each step's time, records/s and the process's peak memory. Not a BenchmarkDotNet benchmark: one
/// run of minutes. The schema is kept (its name is printed) for the cold-check and snapshot steps.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- scale-import [people] [batch size]</c>.</remarks>
internal static class ScaleImportMeasurement
{
    public static async Task<string> RunAsync(int people, int batchSize = 50_000)
    {
        var directory = Directory.CreateTempSubdirectory("consentkit-scale-").FullName;
        var file = Path.Combine(directory, "export.csv");
        var clock = Stopwatch.StartNew();
        long rows = 0;
        await using (var writer = new StreamWriter(file))
        {
            await writer.WriteLineAsync("subject_id,purpose_id,status,notice_version,recorded_at,method");
            var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            for (var i = 0; i < people; i++)
            {
                var at = start.AddSeconds(i % 10_000_000).ToString("O", CultureInfo.InvariantCulture);
                var id = $"member-{i:D8}";
                switch (i % 10)
                {
                    case < 7:
                        await writer.WriteLineAsync($"{id},{ConsentPurposes.GenerativeAiTraining},granted,1,{at},subject-user-interface");
                        rows++;
                        break;
                    case < 9:
                        await writer.WriteLineAsync($"{id},{ConsentPurposes.GenerativeAiTraining},refused,1,{at},");
                        rows++;
                        break;
                    default:
                        await writer.WriteLineAsync($"{id},{ConsentPurposes.GenerativeAiTraining},granted,1,{at},subject-user-interface");
                        await writer.WriteLineAsync($"{id},{ConsentPurposes.GenerativeAiTraining},withdrawn,1,{start.AddSeconds(i % 10_000_000).AddDays(30).ToString("O", CultureInfo.InvariantCulture)},");
                        rows += 2;
                        break;
                }
            }
        }

        var written = clock.Elapsed;
        var schema = BenchmarkServer.NewSchemaName();
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UsePostgreSqlStore(o =>
        {
            o.ConnectionString = BenchmarkServer.ConnectionString;
            o.SchemaName = schema;
        }).AddConsentImport(o => o.BatchSize = batchSize);
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IConsentStore>();
        await store.SaveNoticesAsync([.. provider.GetRequiredService<ConsentPurposeCatalog>().Purposes.Select(ConsentNotice.For)], DateTimeOffset.UtcNow);

        clock.Restart();
        var result = await provider.GetRequiredService<IConsentImporter>().ImportFileAsync(file);
        var imported = clock.Elapsed;
        var peakAfterImport = Process.GetCurrentProcess().PeakWorkingSet64;

        clock.Restart();
        var verified = await new ConsentHistoryVerifier(store).VerifyAsync();
        var verifying = clock.Elapsed;
        File.Delete(file);
        Directory.Delete(directory);

        Console.WriteLine($"Import of {people:N0} people ({rows:N0} records, CSV written in {written.TotalSeconds:0.0} s) into PostgreSQL, schema {schema}");
        Console.WriteLine("| step | time | records/s | process peak memory |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| import (check + {result.Batches} batches of {provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConsentImportOptions>>().Value.BatchSize:N0}) | {imported.TotalSeconds:0.0} s | {result.Imported / imported.TotalSeconds:N0} | {peakAfterImport / 1048576.0:N0} MiB |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| verify (both chains, registry, current state) | {verifying.TotalSeconds:0.0} s | {result.Imported / verifying.TotalSeconds:N0} | {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MiB |"));
        Console.WriteLine($"Verified: {verified.IsValid}{(verified.IsValid ? string.Empty : " — " + verified.Message)}; imported {result.Imported:N0}, skipped {result.Skipped:N0}.");
        return schema;
    }
}
