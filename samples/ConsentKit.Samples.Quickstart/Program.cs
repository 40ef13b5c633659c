// A console host: registers purposes, records a grant and a withdrawal, and prints what the gate decides.
using ConsentKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddConsentKit()
    .AddStandardPurposes()
    .AddPurpose("newsletter", "Newsletter", "Send me the monthly newsletter.", "2026-11", lifetime: TimeSpan.FromDays(365))
    .UseInMemoryStore();

using var host = builder.Build();
await host.StartAsync();

var gate = host.Services.GetRequiredService<IConsentGate>();
var recorder = host.Services.GetRequiredService<IConsentRecorder>();
const string member = "member-42";
const string purpose = ConsentPurposes.GenerativeAiTraining;

async Task Show(string moment)
{
    var decision = await gate.CheckAsync(member, purpose);
    var verdict = decision.IsAllowed ? "ALLOWED" : "denied ";
    var evidence = decision.Record is { } r ? $"record #{r.Sequence} ({r.Status}, notice {r.NoticeVersion}, {r.Method})" : "no record";
    Console.WriteLine($"{moment,-44} {purpose}: {verdict}  reason={decision.Reason,-10} {evidence}");
}

await Show("1. Before the member has chosen anything");

// An operator cannot opt anyone in: only the member's own act can grant.
try
{
    await recorder.GrantAsync(member, purpose, new ConsentEvidence { Method = ConsentMethod.Operator, NoticeVersion = "1" });
}
catch (ArgumentException ex)
{
    Console.WriteLine($"{"2. An operator tries to grant it",-44} rejected: {ex.Message}");
}

await recorder.GrantAsync(member, purpose, ConsentEvidence.FromUserInterface(noticeVersion: "1", source: "settings-page"));
await Show("3. After the member switched it on");

await recorder.WithdrawAsync(member, purpose, ConsentEvidence.FromUserInterface(noticeVersion: "1", source: "settings-page"));
await Show("4. After the member switched it off again");

Console.WriteLine();
Console.WriteLine("History (append-only):");
foreach (var record in (await host.Services.GetRequiredService<IConsentReader>().GetHistoryAsync(member)).Select(e => e.Record))
{
    Console.WriteLine($"  #{record.Sequence} {record.RecordedAt:u} {record.PurposeId} {record.Status} via {record.Method} at {record.Source}");
}

// The history proves itself: a hash chain over every record, checked from the first to the last.
var verified = await host.Services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync();
Console.WriteLine();
Console.WriteLine($"Verified: {verified}");

await host.StopAsync();
