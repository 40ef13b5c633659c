// A second app instance as a real OS process, for the multi-instance tests. It hosts ConsentKit (with
// its change-feed follower) on the store given, then answers one command per line on stdin:
//   check <subject> <purpose>      -> "decision <allowed|denied> <reason>"
//   grant|withdraw <subject> <purpose> -> "recorded <sequence>"
//   quit
// Usage: ConsentKit.Instance.Worker sqlite <path> | postgresql <connection string> <schema> [--no-notify]
using ConsentKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
var kit = builder.Services.AddConsentKit().AddStandardPurposes();
switch (args[0])
{
    case "sqlite":
        kit.UseSqliteStore($"Data Source={args[1]}");
        break;
    case "postgresql":
        kit.UsePostgreSqlStore(o =>
        {
            o.ConnectionString = args[1];
            o.SchemaName = args[2];
        });
        break;
    default:
        throw new ArgumentException($"Unknown store '{args[0]}'.");
}

kit.AddChangeFeedFollower(o => o.UseNotifications = !args.Contains("--no-notify"));
using var host = builder.Build();
await host.StartAsync();
var gate = host.Services.GetRequiredService<IConsentGate>();
var recorder = host.Services.GetRequiredService<IConsentRecorder>();
var stdout = Console.Out;
stdout.WriteLine("ready");
stdout.Flush();

while (Console.In.ReadLine() is { } line)
{
    var parts = line.Split(' ');
    switch (parts[0])
    {
        case "check":
            var decision = await gate.CheckAsync(parts[1], parts[2]);
            stdout.WriteLine($"decision {(decision.IsAllowed ? "allowed" : "denied")} {decision.Reason}");
            break;
        case "grant":
            var grant = await recorder.GrantAsync(parts[1], parts[2], ConsentEvidence.FromUserInterface("1", "worker"));
            stdout.WriteLine($"recorded {grant.Sequence}");
            break;
        case "withdraw":
            var withdrawal = await recorder.WithdrawAsync(parts[1], parts[2], ConsentEvidence.FromUserInterface("1", "worker"));
            stdout.WriteLine($"recorded {withdrawal.Sequence}");
            break;
        case "quit":
            await host.StopAsync();
            return;
    }

    stdout.Flush();
}
