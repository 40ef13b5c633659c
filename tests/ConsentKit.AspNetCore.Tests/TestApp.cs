using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ConsentKit.AspNetCore.Tests;

/// <summary>A real ASP.NET Core app on TestServer, with real authentication middleware (a header-based test scheme).</summary>
internal sealed class TestApp : IAsyncDisposable
{
    public const string UserHeader = "X-Test-User";

    private TestApp(WebApplication app)
    {
        App = app;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public FakeTimeProvider Time => (FakeTimeProvider)App.Services.GetRequiredService<TimeProvider>();

    public IConsentStore Store => App.Services.GetRequiredService<IConsentStore>();

    public IConsentRecorder Recorder => App.Services.GetRequiredService<IConsentRecorder>();

    public static async Task<TestApp> StartAsync(
        Action<WebApplication>? map = null,
        IConsentStore? store = null,
        bool useConsentEnforcement = true,
        Action<IConsentKitBuilder>? kit = null,
        Action<ConsentKitOptions>? kitOptions = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(TestApp).Assembly.GetName().Name,
            EnvironmentName = "Testing",
        });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero)));
        builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddControllers();
        builder.Services.AddRazorPages();
        var consent = builder.Services.AddConsentKit(kitOptions)
            .AddStandardPurposes()
            .AddPurpose("newsletter", "Newsletter", "Send me the newsletter.", "1", lifetime: TimeSpan.FromDays(30))
            .AddAspNetCore(o => o.ConsentUrl = "/settings/privacy");
        if (store is null)
        {
            consent.UseInMemoryStore();
        }
        else
        {
            consent.UseStore(_ => store);
        }

        kit?.Invoke(consent);
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        if (useConsentEnforcement)
        {
            app.UseConsentEnforcement();
        }

        map?.Invoke(app);
        app.MapControllers();
        app.MapRazorPages();
        app.MapConsentEndpoints();
        await app.StartAsync();
        return new TestApp(app);
    }

    public HttpRequestMessage Request(HttpMethod method, string url, string? user = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        if (user is not null)
        {
            request.Headers.Add(UserHeader, user);
        }

        return request;
    }

    public Task<HttpResponseMessage> GetAsync(string url, string? user = null) => Client.SendAsync(Request(HttpMethod.Get, url, user));

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? user, HttpContent? content = null, bool chunked = false)
    {
        var request = Request(method, url, user, content);
        request.Headers.TransferEncodingChunked = chunked ? true : null;
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostJsonAsync(string url, object body, string? user) =>
        Client.SendAsync(Request(HttpMethod.Post, url, user, JsonContent.Create(body)));

    public Task<ConsentRecord> GrantAsync(string subject, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        Recorder.GrantAsync(subject, purpose, ConsentEvidence.FromUserInterface(Notice(purpose))).AsTask();

    public Task<ConsentRecord> WithdrawAsync(string subject, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        Recorder.WithdrawAsync(subject, purpose, ConsentEvidence.FromUserInterface(Notice(purpose))).AsTask();

    public Task<ConsentRecord> RefuseAsync(string subject, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        Recorder.RefuseAsync(subject, purpose, ConsentEvidence.FromUserInterface(Notice(purpose))).AsTask();

    public async Task<IReadOnlyList<ConsentRecord>> HistoryAsync(string subject) => await Store.GetHistoryAsync(subject);

    private string Notice(string purpose) =>
        App.Services.GetRequiredService<ConsentPurposeCatalog>().TryGetPurpose(purpose, out var p) ? p.NoticeVersion : "1";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Authenticates the user named in the <c>X-Test-User</c> header (claim <c>sub</c>).</summary>
internal sealed class HeaderAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "TestHeader";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(TestApp.UserHeader, out var user) || string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity([new Claim("sub", user!)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
