// A child process for the relay's crash and fail-over tests.
//   relay <sqlite|postgresql> <connection> <instance> <webhook-url> <secret>
//       relays the store's changes to the webhook and to the in-process impact handler, which prints
//       "impact <sequence> <data use ids>"; prints "ready" once the host has started
//   withdraw <sqlite|postgresql> <connection> <subject>
//       records a withdrawal of generative-AI training, prints "ack <sequence>" and kills itself at once (SIGKILL)
using System.Diagnostics;
using ConsentKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var (mode, store, connection) = (args[0], args[1], args[2]);
var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
var consent = builder.Services.AddConsentKit().AddStandardPurposes();
if (store == "sqlite")
{
    consent.UseSqliteStore(connection);
}
else
{
    consent.UsePostgreSqlStore(o =>
    {
        o.ConnectionString = connection;
        o.SchemaName = Environment.GetEnvironmentVariable("CONSENTKIT_RELAY_SCHEMA") ?? o.SchemaName;
    });
}

if (mode == "relay")
{
    var (instance, url, secret) = (args[3], args[4], args[5]);
    consent.AddConsentRelay(o =>
        {
            o.InstanceId = instance;
            o.PollInterval = TimeSpan.FromMilliseconds(50);
            o.LeaseDuration = TimeSpan.FromSeconds(2);
            o.FirstRetryDelay = TimeSpan.FromMilliseconds(20);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
            o.AttemptTimeout = TimeSpan.FromSeconds(1);
            o.MaxAttempts = 100;
        })
        .AddWebhook("partner", new Uri(url), secret)
        .AddWithdrawalImpactHandler<PrintedImpact>();
    using var host = builder.Build();
    await host.StartAsync();
    Console.WriteLine("ready");
    await host.WaitForShutdownAsync();
}
else
{
    using var host = builder.Build();
    await host.StartAsync();
    var record = await host.Services.GetRequiredService<IConsentRecorder>().WithdrawAsync(
        args[3], ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"));
    Console.WriteLine($"ack {record.Sequence}");
    Console.Out.Flush();
    Process.GetCurrentProcess().Kill();
}

/// <summary>Prints each impact it is handed, one line each, flushed before it returns.</summary>
internal sealed class PrintedImpact : IWithdrawalImpactHandler
{
    private static readonly Lock Gate = new();

    public ValueTask OnWithdrawalAsync(WithdrawalImpact impact, CancellationToken cancellationToken)
    {
        lock (Gate)
        {
            Console.WriteLine($"impact {impact.Record.Sequence} {string.Join(',', impact.AffectedDataUses.Select(u => u.Id))}");
            Console.Out.Flush();
        }

        return ValueTask.CompletedTask;
    }
}
