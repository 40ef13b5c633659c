using System.Collections.Concurrent;
using System.Diagnostics;
using ConsentKit.Relay;
using ConsentKit.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ConsentKit.Benchmarks;

/// <summary>
/// How long a withdrawal takes from the recorder's acknowledgement to a webhook receiver's 2xx, through the relay with
/// its default options: PostgreSQL (woken by LISTEN/NOTIFY) and SQLite (polling every <see cref="ConsentRelayOptions.PollInterval"/>).
/// Not a BenchmarkDotNet benchmark: it measures a latency distribution, printed as p50/p90/p99/max.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- relay-lag [withdrawals]</c>.</remarks>
internal static class RelayLagBenchmark
{
    private const string Purpose = ConsentPurposes.GenerativeAiTraining;

    public static async Task RunAsync(int withdrawals)
    {
        var defaults = new ConsentRelayOptions();
        Console.WriteLine($"Relay lag, {withdrawals} withdrawals one at a time after a random pause of 0–{defaults.PollInterval.TotalMilliseconds:0} ms, from the recorder's acknowledgement to the receiver's 2xx (webhook on the loopback)");
        Console.WriteLine("| store | woken by | withdrawals | p50 | p90 | p99 | max |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        // (store, whether the withdrawals are made by another app instance than the relay's)
        foreach (var (store, elsewhere, woken) in new[]
        {
            ("postgresql", true, "LISTEN/NOTIFY (write by another instance)"),
            ("sqlite", false, "the recorder (write in the relay's process)"),
            ("sqlite", true, $"polling, {defaults.PollInterval.TotalMilliseconds:0} ms (write by another instance)"),
        })
        {
            var latencies = await MeasureAsync(store, elsewhere, withdrawals, defaults.PollInterval);
            latencies.Sort();
            string At(double q) => $"{latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)]:0.0} ms";
            Console.WriteLine($"| {store} | {woken} | {latencies.Count} | {At(0.50)} | {At(0.90)} | {At(0.99)} | {latencies[^1]:0.0} ms |");
        }
    }

    private static async Task<List<double>> MeasureAsync(string store, bool elsewhere, int withdrawals, TimeSpan pollInterval)
    {
        var schema = BenchmarkServer.NewSchemaName();
        var directory = Directory.CreateTempSubdirectory("consentkit-relay-lag-").FullName;
        var arrived = new ConcurrentDictionary<string, long>();
        var secret = WebhookSecret.Create();
        using var endpoint = new LoopbackEndpoint(context =>
        {
            arrived.TryAdd(context.Request.Headers["webhook-id"]!, Stopwatch.GetTimestamp());
            context.Response.StatusCode = 204;
            context.Response.Close();
            return Task.CompletedTask;
        });

        void UseStore(IConsentKitBuilder consent)
        {
            if (store == "sqlite")
            {
                consent.UseSqliteStore($"Data Source={Path.Combine(directory, "consent.db")}");
            }
            else
            {
                consent.UsePostgreSqlStore(o =>
                {
                    o.ConnectionString = BenchmarkServer.ConnectionString;
                    o.SchemaName = schema;
                });
            }
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var consent = builder.Services.AddConsentKit().AddStandardPurposes();
        UseStore(consent);
        consent.AddConsentRelay().AddWebhook("partner", endpoint.Url("/"), secret, w => w.Statuses.Add(ConsentStatus.Withdrawn));
        using var host = builder.Build();
        await host.StartAsync();

        // Another app instance on the same store, without a relay: its writes reach the relay by notification or poll.
        var other = new ServiceCollection();
        UseStore(other.AddConsentKit().AddStandardPurposes());
        await using var otherProvider = other.BuildServiceProvider();
        try
        {
            var recorder = elsewhere ? otherProvider.GetRequiredService<IConsentRecorder>() : host.Services.GetRequiredService<IConsentRecorder>();
            var ui = ConsentEvidence.FromUserInterface("1", "bench");
            var random = new Random(1);
            var acknowledged = new Dictionary<string, long>();
            for (var i = 0; i < withdrawals; i++)
            {
                await recorder.GrantAsync($"member-{i:D5}", Purpose, ui);
            }

            for (var i = 0; i < withdrawals; i++)
            {
                // A random moment, so the withdrawals do not line up with the relay's polls.
                await Task.Delay(random.Next((int)pollInterval.TotalMilliseconds));
                var record = await recorder.WithdrawAsync($"member-{i:D5}", Purpose, ui);
                acknowledged[record.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Stopwatch.GetTimestamp();
            }

            while (!acknowledged.Keys.All(arrived.ContainsKey))
            {
                await Task.Delay(10);
            }

            return [.. acknowledged.Select(a => Stopwatch.GetElapsedTime(a.Value, arrived[a.Key]).TotalMilliseconds)];
        }
        finally
        {
            await host.StopAsync();
            Directory.Delete(directory, recursive: true);
            if (store == "postgresql")
            {
                await using var connection = new NpgsqlConnection(BenchmarkServer.ConnectionString);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE;", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
    }
}
