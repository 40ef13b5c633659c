// Three copies of one minimal endpoint — plain, behind .RequireConsent(...), behind a trivial
// .RequireAuthorization(policy) — over 10,000 subjects who all opted in, so every request is a 200 and
// the only difference is what guards it. run.sh drives it with wrk.
using ConsentKit;
using ConsentKit.AspNetCore;

const int Subjects = 10_000;
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddAuthorization(o => o.AddPolicy("trivial", p => p.RequireAssertion(_ => true)));
builder.Services.AddConsentKit(o => o.CacheSizeLimit = Subjects * 2)
    .AddStandardPurposes()
    .UseInMemoryStore()
    .AddAspNetCore();

var app = builder.Build();
app.UseAuthorization();
app.UseConsentEnforcement();

app.MapGet("/plain/{id}", (string id) => "ok");
app.MapGet("/consent/{id}", (string id) => "ok").RequireConsent(ConsentPurposes.GenerativeAiTraining, ConsentSubject.FromRoute("id"));
app.MapGet("/authz/{id}", (string id) => "ok").RequireAuthorization("trivial");

var recorder = app.Services.GetRequiredService<IConsentRecorder>();
for (var i = 0; i < Subjects; i++)
{
    await recorder.GrantAsync($"user-{i}", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "bench"));
}

await app.RunAsync();
