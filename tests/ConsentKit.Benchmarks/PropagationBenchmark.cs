using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ConsentKit.Benchmarks;

/// <summary>
/// How long a withdrawal made on instance A takes to reach instance B's gate: two hosts on one
/// PostgreSQL schema (own providers, caches, connections, followers), 1,000 withdrawals, B under
/// concurrent checks. Not a BenchmarkDotNet benchmark: it measures a latency distribution, printed as
/// p50/p90/p99/max for LISTEN/NOTIFY and for feed polling only.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/ConsentKit.Benchmarks -- propagation [withdrawals]</c>.</remarks>
internal static class PropagationBenchmark
{
    private const string Purpose = ConsentPurposes.GenerativeAiTraining;
    private const int Lanes = 4;

    public static async Task RunAsync(int withdrawals)
    {
        Console.WriteLine($"Withdrawal propagation A -> B, {withdrawals} withdrawals, {Lanes} lanes, B under concurrent checks, from A's acknowledgement to B's first denial");
        Console.WriteLine("| follower | poll interval | withdrawals | p50 | p90 | p99 | max |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var notify in new[] { true, false })
        {
            var latencies = await MeasureAsync(notify, withdrawals);
            latencies.Sort();
            string At(double q) => $"{latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)]:0.0} ms";
            Console.WriteLine($"| {(notify ? "LISTEN/NOTIFY" : "polling only")} | {new ConsentChangeFeedOptions().PollInterval.TotalMilliseconds:0} ms | {latencies.Count} | {At(0.50)} | {At(0.90)} | {At(0.99)} | {latencies[^1]:0.0} ms |");
        }
    }

    private static async Task<List<double>> MeasureAsync(bool notify, int withdrawals)
    {
        var schema = BenchmarkServer.NewSchemaName();
        using var a = await StartAsync(schema, notify);
        using var b = await StartAsync(schema, notify);
        try
        {
            var recorderA = a.Services.GetRequiredService<IConsentRecorder>();
            var gateB = b.Services.GetRequiredService<IConsentGate>();
            var ui = ConsentEvidence.FromUserInterface("1", "bench");
            var subjects = Enumerable.Range(0, withdrawals).Select(i => $"member-{i:D5}").ToArray();
            foreach (var subject in subjects)
            {
                await recorderA.GrantAsync(subject, Purpose, ui);
            }

            // B must have every grant cached as allowed before the clock starts.
            foreach (var subject in subjects)
            {
                while (!(await gateB.CheckAsync(subject, Purpose)).IsAllowed)
                {
                    await Task.Delay(1);
                }
            }

            using var stop = new CancellationTokenSource();
            var load = Task.Run(async () =>
            {
                var random = new Random(1);
                while (!stop.IsCancellationRequested)
                {
                    await gateB.CheckAsync(subjects[random.Next(subjects.Length)], Purpose);
                    await Task.Yield();
                }
            });

            var latencies = new List<double>(withdrawals);
            var pollMs = (int)new ConsentChangeFeedOptions().PollInterval.TotalMilliseconds;
            await Task.WhenAll(Enumerable.Range(0, Lanes).Select(lane => Task.Run(async () =>
            {
                // Withdrawals arrive at random moments: without the pause, each lane would withdraw right
                // after B's last poll (it just saw the previous one) and measure the whole interval every time.
                var random = new Random(lane);
                for (var i = lane; i < withdrawals; i += Lanes)
                {
                    await Task.Delay(random.Next(pollMs));
                    await recorderA.WithdrawAsync(subjects[i], Purpose, ui);
                    var acknowledged = Stopwatch.GetTimestamp();
                    while ((await gateB.CheckAsync(subjects[i], Purpose)).IsAllowed)
                    {
                        await Task.Delay(1);
                    }

                    var elapsed = Stopwatch.GetElapsedTime(acknowledged).TotalMilliseconds;
                    lock (latencies)
                    {
                        latencies.Add(elapsed);
                    }
                }
            })));
            await stop.CancelAsync();
            await load;
            return latencies;
        }
        finally
        {
            await a.StopAsync();
            await b.StopAsync();
            await using var connection = new NpgsqlConnection(BenchmarkServer.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE;", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static async Task<IHost> StartAsync(string schema, bool notify)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddConsentKit().AddStandardPurposes()
            .UsePostgreSqlStore(o =>
            {
                o.ConnectionString = BenchmarkServer.ConnectionString;
                o.SchemaName = schema;
            })
            .AddChangeFeedFollower(o => o.UseNotifications = notify);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
