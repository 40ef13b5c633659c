using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ConsentKit.Samples.Tests;

/// <summary>The web sample with its own SQLite file in a temp folder.</summary>
public sealed partial class WebAppFactory : WebApplicationFactory<ConsentKit.Samples.WebApp.Demo.PostRepository>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "consentkit-webapp-tests", Guid.NewGuid().ToString("N"));

    public WebAppFactory(Action<IServiceCollection>? services = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        Directory.CreateDirectory(_directory);
        Services_ = services;
        Settings = settings ?? new Dictionary<string, string>();
    }

    private IReadOnlyDictionary<string, string> Settings { get; }

    public string DataDirectory => _directory;

    private Action<IServiceCollection>? Services_ { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConsentKit:Sqlite:Path", Path.Combine(_directory, "consent.db"));
        builder.UseEnvironment("Production");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        if (Services_ is not null)
        {
            builder.ConfigureServices(Services_);
        }
    }

    /// <summary>The sample on a consent store that cannot be reached, without the demo seeder.</summary>
    public static WebAppFactory WithUnavailableStore() => new(services =>
    {
        // The seeder writes consent records, which this store refuses (posts: PostRepository.EnsureSeededAsync).
        services.Remove(services.Single(d => d.ImplementationType == typeof(ConsentKit.Samples.WebApp.Demo.DemoSeeder)));
        services.Replace(ServiceDescriptor.Singleton<IConsentStore>(new UnavailableStore()));
    });

    /// <summary>A client signed in as <paramref name="person"/> through the real sign-in form and cookie.</summary>
    public async Task<HttpClient> SignInAsync(string person) => (await SignInWithCookiesAsync(person)).Client;

    /// <summary>As <see cref="SignInAsync"/>, with the cookies the client holds (to copy them elsewhere).</summary>
    public async Task<(HttpClient Client, CookieContainer Cookies)> SignInWithCookiesAsync(string person)
    {
        var cookies = new CookieContainer();
        var client = CreateDefaultClient(new CookieContainerHandler(cookies));
        var page = await client.GetStringAsync("/signin");
        var response = await client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["person"] = person,
            ["__RequestVerificationToken"] = TokenIn(page),
        }));
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Sign-in failed: {response.StatusCode}");
        }

        return (client, cookies);
    }

    /// <summary>A partner's client, with the demo key from appsettings.json.</summary>
    public HttpClient CreatePartnerClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Partner-Key", "demo-partner-key");
        return client;
    }

    public static string TokenIn(string html) => AntiforgeryField().Match(html).Groups[1].Value;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans the temp folder.
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
