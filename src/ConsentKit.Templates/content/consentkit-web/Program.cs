using ConsentKit;
using ConsentKit.AspNetCore;
using ConsentKitWeb;

var builder = WebApplication.CreateBuilder(args);

// Who is asking: ConsentKit reads the signed-in user's "sub" (or NameIdentifier) claim. DemoSignIn is a
// cookie sign-in with demo users and no passwords, so the app shows the whole story at once; replace it
// with yours (OpenID Connect, JWT bearer, Identity).
builder.Services.AddAuthentication().AddCookie(o => o.LoginPath = "/signin");
builder.Services.AddAuthorization();
builder.Services.AddAntiforgery();
builder.Services.AddProblemDetails();

// Every purpose is off until the person turns it on, under the notice version they saw.
builder.Services.AddConsentKit()
    .AddStandardPurposes()
    .UseSqliteStore(builder.Configuration.GetConnectionString("Consent") ?? "Data Source=consent.db")
    .AddAspNetCore(o => o.ConsentUrl = "/settings/privacy");

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.UseConsentEnforcement();

app.MapGet("/", () => Results.Content(
    """
    <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>ConsentKit app</title></head><body>
    <h1>ConsentKit is running</h1>
    <p><a href="/users/ada/training-data">/users/ada/training-data</a> is denied until Ada opts in.</p>
    <p><a href="/signin">Sign in</a> as Ada, turn on "Generative AI training" in <a href="/settings/privacy">Settings → Privacy</a>, and try again.</p>
    </body></html>
    """, "text/html"));

// Someone's data for generative-AI training: served only if that person opted in.
app.MapGet("/users/{userId}/training-data", (string userId) => Results.Ok(new { userId, posts = Array.Empty<string>() }))
    .RequireConsent(ConsentPurposes.GenerativeAiTraining, ConsentSubject.FromRoute("userId"));

// The signed-in person's choices: a page (switch on, switch off) and the API behind apps
// (GET /api/consents, POST /api/consents/{purpose}/grant|refuse|withdraw, history, erasure).
app.MapDemoSignIn();
app.MapPrivacySettings("/settings/privacy");
app.MapConsentEndpoints("/api/consents");

app.Run();
