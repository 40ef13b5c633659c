using System.Diagnostics;
using System.Globalization;
using ConsentKit.Relay;
using ConsentKit.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConsentKit.Benchmarks;

/// <summary>
/// How fast the relay drains a backlog (a receiver that was down, a new subscription on an old store): changes
/// recorded before the relay starts, then the time until the webhook has them all, for several <see cref="ConsentRelayOptions.BatchSize"/>s,
/// on SQLite. Not a BenchmarkDotNet benchmark: one measurement per batch size.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- relay-backlog [changes]</c>.</remarks>
internal static class RelayBacklogMeasurement
{
    public static async Task RunAsync(int changes)
    {
        Console.WriteLine($"Relay backlog on SQLite: {changes:N0} changes recorded first, then the relay started; time until a loopback webhook (204) has them all");
        Console.WriteLine("| BatchSize | drained in | changes/s | peak working set |");
        Console.WriteLine("|---:|---:|---:|---:|");
        foreach (var batch in new[] { 10, 100, 1_000 })
        {
            var (elapsed, peak) = await MeasureAsync(changes, batch);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {batch:N0} | {elapsed.TotalSeconds:0.00} s | {changes / elapsed.TotalSeconds:N0} | {peak / 1048576.0:0} MiB |"));
        }
    }

    private static async Task<(TimeSpan Elapsed, long Peak)> MeasureAsync(int changes, int batch)
    {
        var directory = Directory.CreateTempSubdirectory("consentkit-relay-backlog-").FullName;
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var endpoint = new LoopbackEndpoint(context =>
        {
            context.Response.StatusCode = 204;
            context.Response.Close();
            if (Interlocked.Increment(ref received) == changes)
            {
                done.TrySetResult();
            }

            return Task.CompletedTask;
        });
        try
        {
            var connection = $"Data Source={Path.Combine(directory, "consent.db")}";
            var seed = new ServiceCollection();
            seed.AddConsentKit().AddStandardPurposes().UseSqliteStore(connection);
            await using (var provider = seed.BuildServiceProvider())
            {
                var store = provider.GetRequiredService<IConsentStore>();
                var now = DateTimeOffset.UtcNow;
                foreach (var chunk in Enumerable.Range(0, changes).Chunk(5_000))
                {
                    await store.AppendManyAsync([.. chunk.Select(i => new NewConsentRecord($"member-{i:D7}", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", now, null, ConsentMethod.SubjectUserInterface, "bench"))]);
                }
            }

            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddConsentKit().AddStandardPurposes().UseSqliteStore(connection)
                .AddConsentRelay(o => o.BatchSize = batch)
                .AddWebhook("partner", endpoint.Url("/"), WebhookSecret.Create());
            using var host = builder.Build();
            var clock = Stopwatch.StartNew();
            await host.StartAsync();
            await done.Task;
            var elapsed = clock.Elapsed;
            await host.StopAsync();
            return (elapsed, Process.GetCurrentProcess().PeakWorkingSet64);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
