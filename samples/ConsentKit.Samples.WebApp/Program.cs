// A small professional network: members choose, on Settings → Data and privacy, what their data may be
// used for. Generative-AI training is off until they turn it on; the data team's training-set builds
// take only opted-in members' posts and record who went in, so a withdrawal shows which sets it affects.
using System.Security.Claims;
using System.Text.Json;
using ConsentKit;
using ConsentKit.AspNetCore;
using ConsentKit.Receipts;
using ConsentKit.Samples.WebApp.Demo;
using ConsentKit.Samples.WebApp.Pages;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

var builder = WebApplication.CreateBuilder(args);

var databasePath = Path.Combine(builder.Environment.ContentRootPath, builder.Configuration["ConsentKit:Sqlite:Path"] ?? "consentkit-demo.db");
var dataDirectory = Path.GetDirectoryName(databasePath)!;

// Sessions live on the server (the cookie is only their key), so signing out ends them for every copy of the cookie.
builder.Services.AddSingleton<ServerSessions>();
builder.Services.AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<CookieAuthenticationOptions>, ServerSessions.Setup>();
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
    .AddCookie(o =>
    {
        o.LoginPath = "/signin";
        o.AccessDeniedPath = "/denied";
        o.Cookie.Name = "consentkit-demo";
    });
builder.Services.AddProblemDetails();
builder.Services.AddAuthorizationBuilder().AddPolicy("operator", p => p.RequireClaim("role", "operator"));
builder.Services.AddRazorPages(o =>
{
    o.Conventions.AuthorizePage("/Settings/Privacy");
    o.Conventions.AuthorizeFolder("/Admin", "operator");
});

var consent = builder.Services.AddConsentKit()
    .AddPurpose(ConsentPurposes.AiTraining, "Data for AI training", "Use my profile and the content I post to train AI and machine-learning models.", "1")
    .AddPurpose(ConsentPurposes.GenerativeAiTraining, "Data for Generative AI improvement", "Use my data for training content-creation AI models.", "1", lifetime: TimeSpan.FromDays(365))
    .AddPurpose(ConsentPurposes.Personalization, "Personalization", "Use my activity to tailor my feed.", "1")
    .AddPurpose(ConsentPurposes.Analytics, "Analytics", "Use my activity to measure and improve the service.", "1")
    .AddPurpose(ConsentPurposes.Marketing, "Marketing", "Send me news and offers.", "1")
    .AddPurpose(ConsentPurposes.ThirdPartySharing, "Sharing with partners", "Share my data with partner companies.", "1")
    .AddAspNetCore(o => o.ConsentUrl = "/settings/privacy")
    // Signed ISO/IEC TS 27560 receipts, the members' export and the training-set audit.
    .AddReceipts(o =>
    {
        o.ControllerName = builder.Configuration["ConsentKit:Receipts:ControllerName"] ?? "Demo Network";
        o.ControllerContact = builder.Configuration["ConsentKit:Receipts:ControllerContact"] ?? "privacy@demo-network.example";
        o.WithdrawalMethod = builder.Configuration["ConsentKit:Receipts:WithdrawalMethod"] ?? "Settings → Data and privacy, one click per purpose";
        o.SigningKey = ReceiptSigningKey.LoadOrCreate(Path.ChangeExtension(databasePath, ".receipt-key.pem"));
    });

// Purposes from configuration, alongside the ones in code.
foreach (var purpose in builder.Configuration.GetSection("ConsentKit:Purposes").Get<List<ConsentPurpose>>() ?? [])
{
    consent.AddPurpose(purpose);
}

// OpenLineage run events for training sets and model builds, off unless configured, e.g.
//   --ConsentKit:OpenLineage:FilePath=lineage.jsonl   or   --ConsentKit:OpenLineage:Endpoint=http://localhost:5000/api/v1/lineage (Marquez)
var openLineage = builder.Configuration.GetSection("ConsentKit:OpenLineage");
if (openLineage.Exists())
{
    consent.AddOpenLineage(openLineage.Bind);
}

// Members' withdrawals of sharing reach the partner at least once, as signed CloudEvents (ConsentKit.Relay). The
// demo's partner is its own /partner-inbox; set ConsentKit:Relay:PartnerUrl when the app listens elsewhere.
var partnerInbox = PartnerInbox.LoadOrCreate(Path.ChangeExtension(databasePath, ".partner-webhook-secret"));
builder.Services.AddSingleton(partnerInbox);
consent.AddConsentRelay(o =>
    {
        o.Source = new Uri("urn:consentkit:demo-network");
        builder.Configuration.GetSection("ConsentKit:Relay").Bind(o);
    })
    .AddWebhook("partner", new Uri(builder.Configuration["ConsentKit:Relay:PartnerUrl"] ?? "http://127.0.0.1:5080/partner-inbox/consent-events"), partnerInbox.Secret, w =>
    {
        w.Purposes.Add(ConsentPurposes.ThirdPartySharing);
        w.Statuses.Add(ConsentStatus.Withdrawn);
    });

// One process: the SQLite file. Several instances on one database: PostgreSQL, e.g.
//   --ConsentKit:Store=postgresql --ConsentKit:PostgreSql:ConnectionString="Host=…;Username=…;Database=…"
// Either way the change-feed follower tells this instance of writes made by the others.
switch (builder.Configuration["ConsentKit:Store"] ?? "sqlite")
{
    case "sqlite":
        consent.UseSqliteStore($"Data Source={databasePath}");
        break;
    case "postgresql":
        consent.UsePostgreSqlStore(o =>
        {
            o.ConnectionString = builder.Configuration["ConsentKit:PostgreSql:ConnectionString"];
            o.SchemaName = builder.Configuration["ConsentKit:PostgreSql:Schema"] ?? o.SchemaName;
        });
        break;
    case var other:
        throw new InvalidOperationException($"ConsentKit:Store is '{other}'; use 'sqlite' (one process) or 'postgresql' (many instances on one database).");
}

builder.Services.AddSingleton(new PostRepository(databasePath));
builder.Services.AddSingleton(sp => new TrainingSets(
    sp.GetRequiredService<PostRepository>(), sp.GetRequiredService<ConsentFilter>(), sp.GetRequiredService<TimeProvider>(),
    Path.Combine(dataDirectory, "training-sets")));
builder.Services.AddSingleton<Models>();
builder.Services.AddHostedService<DemoSeeder>();

var app = builder.Build();

// Errors, in every environment, as a page in the site's style or problem+json (Pages/Error): never a
// stack trace, a source path or a request header. A store fault is 503, bad input its own 4xx.
app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandlingPath = "/Error", StatusCodeSelector = ErrorModel.StatusFor });
app.UseStatusCodePagesWithReExecute("/Error");

// Every response: no framing, no sniffing, no referrer leaks, scripts and styles from this site only.
// The consent API and the records download carry personal data: never cached.
app.Use(async (context, next) =>
{
    var headers = context.Response.Headers;
    headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
    headers.XContentTypeOptions = "nosniff";
    headers.XFrameOptions = "DENY";
    headers["Referrer-Policy"] = "no-referrer";
    if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/settings/privacy/download"))
    {
        headers.CacheControl = "no-store";
    }

    await next();
});
app.UseStaticFiles();
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

// Partners (an AI company, say) authenticate with their API key before anything else answers: an
// unauthenticated caller must not learn from a 403 whether a member opted in.
var partnerKeys = builder.Configuration.GetSection("Partners").GetChildren()
    .Where(p => !string.IsNullOrEmpty(p.Value))
    .Select(p => (Name: p.Key, Key: System.Text.Encoding.UTF8.GetBytes(p.Value!)))
    .ToArray();
app.UseWhen(c => c.Request.Path.StartsWithSegments("/partner"), partner => partner.Use(async (context, next) =>
{
    var given = System.Text.Encoding.UTF8.GetBytes(context.Request.Headers["X-Partner-Key"].ToString());
    if (!partnerKeys.Any(p => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(p.Key, given)))
    {
        await Results.Problem(statusCode: 401, title: "Partner key required", detail: "Send your partner API key in the X-Partner-Key header.").ExecuteAsync(context);
        return;
    }

    await next();
}));
app.UseConsentEnforcement();

app.MapRazorPages();
app.MapConsentEndpoints("/api/consents");
app.MapGlobalPrivacyControlWellKnown();
app.MapConsentRelayEndpoints("/admin/relay").RequireAuthorization("operator");

// The demo partner's webhook endpoint (signed by the relay, so no antiforgery token and no partner key).
app.MapPost("/partner-inbox/consent-events", (HttpContext context, PartnerInbox inbox) => inbox.ReceiveAsync(context)).DisableAntiforgery();

app.MapPost("/signin", async (HttpContext context, IFormCollection form) =>
{
    if (DemoPeople.Find(form["person"]) is not { } person)
    {
        return Results.Redirect("/signin");
    }

    var claims = new List<Claim> { new("sub", person.Id), new(ClaimTypes.Name, person.Name) };
    if (person.IsOperator)
    {
        claims.Add(new Claim("role", "operator"));
    }

    await context.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)));
    return Results.Redirect(person.IsOperator ? "/admin" : "/");
});

// The form parameter makes the antiforgery middleware check the token: no cross-site sign-out.
app.MapPost("/signout", async (HttpContext context, IFormCollection form) =>
{
    await context.SignOutAsync();
    return Results.Redirect("/");
});

// The person's own consent records, as a file they can keep.
app.MapGet("/settings/privacy/download", async (HttpContext context, IConsentSubjectExporter exporter) =>
{
    // Everything the network holds about the person's consent: records, notice texts, signed receipts, training sets.
    var subject = (await context.GetConsentSubjectAsync())!;
    var export = await exporter.ExportAsync(subject, context.RequestAborted);
    var body = JsonSerializer.SerializeToUtf8Bytes(export, new JsonSerializerOptions(ConsentReceiptJson.Options) { WriteIndented = true });
    return Results.File(body, "application/json", $"consent-records-{subject}.json");
}).RequireAuthorization();

// A partner (e.g. an AI company) may read a member's posts only if that member opted in to both:
// their data for generative-AI training, and sharing it with partners.
app.MapGet("/partner/users/{id}/posts", (string id, PostRepository posts, CancellationToken cancellationToken) =>
        Results.Ok(posts.StreamAsync(id, cancellationToken)))
    .RequireConsent(ConsentPurposes.GenerativeAiTraining, ConsentSubject.FromRoute("id"))
    .RequireConsent(ConsentPurposes.ThirdPartySharing, ConsentSubject.FromRoute("id"));

// aipref's robots.txt form, from consent: the site says train-ai=n, and train-ai=y only for the
// profile of each member who opted in (`$` anchors the path: /users/ada is not /users/adam).
app.MapGet("/robots.txt", async (HttpContext context, IConsentGate gate) =>
{
    var members = DemoPeople.Members.Select(p => p.Id).ToList();
    var decisions = await gate.CheckManyAsync(members, ConsentPurposes.GenerativeAiTraining, context.RequestAborted);
    var text = new System.Text.StringBuilder("User-Agent: *\nContent-Usage: train-ai=n\n");
    foreach (var member in members.Where(m => decisions[m].IsAllowed))
    {
        text.Append($"Content-Usage: /users/{Uri.EscapeDataString(member)}$ train-ai=y\n");
    }

    // A withdrawal must reach crawlers on their next fetch.
    context.Response.Headers.CacheControl = "no-cache";
    return Results.Text(text.ToString(), "text/plain; charset=utf-8");
});

app.Run();

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
