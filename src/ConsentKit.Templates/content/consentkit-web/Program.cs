using ConsentKit;
using ConsentKit.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

// Who is asking: ConsentKit reads the signed-in user's "sub" (or NameIdentifier) claim. Replace the
// cookie scheme with yours (OpenID Connect, JWT bearer, Identity).
builder.Services.AddAuthentication().AddCookie();
builder.Services.AddAuthorization();
builder.Services.AddProblemDetails();

// Every purpose is off until the person turns it on, under the notice version they saw.
builder.Services.AddConsentKit()
    .AddStandardPurposes()
    .UseSqliteStore(builder.Configuration.GetConnectionString("Consent") ?? "Data Source=consent.db")
    .AddAspNetCore();

var app = builder.Build();

app.UseAuthentication();
app.UseAuthorization();
app.UseConsentEnforcement();

app.MapGet("/", () => "ConsentKit is running. Try /users/ada/training-data: denied until Ada opts in.");

// Someone's data for generative-AI training: served only if that person opted in.
app.MapGet("/users/{userId}/training-data", (string userId) => Results.Ok(new { userId, posts = Array.Empty<string>() }))
    .RequireConsent(ConsentPurposes.GenerativeAiTraining, ConsentSubject.FromRoute("userId"));

// The signed-in person's own choices: GET /api/consents, POST /api/consents/{purpose}/grant|refuse|withdraw, history, erasure.
app.MapConsentEndpoints("/api/consents");

app.Run();
