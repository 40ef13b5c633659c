using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ConsentKit.Samples.Tests;

/// <summary>The sample on a real port and a headless Chromium; under CI=true a missing Chromium fails, elsewhere it skips saying why.</summary>
internal sealed class BrowserRun : IAsyncDisposable
{
    private const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright _playwright = null!;

    public WebAppFactory Factory { get; private init; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string BaseUrl { get; private init; } = string.Empty;

    /// <summary>Where screenshots go: the test output's <c>screenshots</c> folder (eng/screenshots.sh copies them into docs/).</summary>
    public static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task<BrowserRun> StartAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            // Under CI the browser test must run: .ci/run installs Chromium, so its absence is a failure.
            var why = $"Chromium is not installed at {ChromiumPath}: install it with 'apt-get install -y chromium' (.ci/run does this) to run the browser test.";
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail(why);
            }

            Assert.Skip(why);
        }

        var factory = new WebAppFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        var run = new BrowserRun
        {
            Factory = factory,
            BaseUrl = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(),
        };
        run._playwright = await Playwright.CreateAsync();
        run.Browser = await run._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return run;
    }

    /// <summary>A new browser (its own cookies), with JavaScript on or off, on the sign-in page.</summary>
    public async Task<IPage> NewPageAsync(bool javaScript = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1000, Height = 1100 },
            JavaScriptEnabled = javaScript,
            AcceptDownloads = true,
        });

        // Generous, not tight: on a fresh machine the first launch and the first requests run while every
        // other test project (PostgreSQL writers among them) shares the same two cores. A real failure
        // still fails, just later; a time-out is never what this test checks.
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{BaseUrl}/signin");
        return page;
    }

    /// <summary>A new browser signed in as <paramref name="person"/> through the sign-in page.</summary>
    public async Task<IPage> SignInAsync(string person, bool javaScript = true)
    {
        var page = await NewPageAsync(javaScript);

        // Listened for before the click, so it cannot be missed: the response of the page the sign-in leads to. Not
        // the page's load event: twice a loaded CI run waited 90 s for a load state Playwright's waiter never saw,
        // after the network had gone idle. The steps after this wait for what they need.
        var landed = page.WaitForResponseAsync(r => r.Request.IsNavigationRequest && r.Request.Method == "GET" && !r.Url.Contains("/signin", StringComparison.Ordinal));
        var response = await page.RunAndWaitForResponseAsync(
            () => page.Locator($"button[data-person='{person}']").ClickAsync(),
            r => r.Request.Method == "POST" && r.Url.EndsWith("/signin", StringComparison.Ordinal));

        // A sign-in that does not redirect says why here, rather than as a time-out waiting for the next page.
        if (response.Status != 302)
        {
            Assert.Fail($"Signing in as {person} answered {response.Status}: {await response.TextAsync()}");
        }

        await landed;
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var bytes = await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, $"{name}.png"), FullPage = true });
        TestContext.Current.AddAttachment($"{name}.png", bytes, "image/png");
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        Factory.Dispose();
    }
}
