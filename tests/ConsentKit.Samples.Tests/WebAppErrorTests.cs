using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Samples.Tests;

/// <summary>
/// Every error the sample answers: a page in the site's style for a browser, problem+json for the APIs
/// and for clients that do not ask for HTML; 503 on a store fault; never a 500, never internals.
/// </summary>
public sealed class WebAppErrorTests : IDisposable
{
    private readonly WebAppFactory _factory = new();

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public async Task AFailedSignIn_ShowsNoInternals_InAnyEnvironment(string environment)
    {
        using var factory = _factory.WithWebHostBuilder(b => b.UseEnvironment(environment));
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/signin") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["person"] = "ada" }) };
        request.Headers.Accept.ParseAdd("text/html");
        request.Headers.Add("Cookie", "secret-session=do-not-echo");

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, "a sign-in without the antiforgery token is bad input");
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        html.Should().Contain("data-testid=\"error\"").And.Contain("site.css", "the error page is in the site's style");
        html.Should().NotContainAny("do-not-echo", "Exception", "   at ", ".cs:line", "/work/");
    }

    [Fact]
    public async Task AStoreFault_Is503Everywhere_APageForBrowsers_ProblemJsonForApis()
    {
        using var failing = WebAppFactory.WithUnavailableStore();
        await failing.Services.GetRequiredService<ConsentKit.Samples.WebApp.Demo.PostRepository>().EnsureSeededAsync(TestContext.Current.CancellationToken);
        var operatorClient = await failing.SignInAsync("operator");
        var ada = await failing.SignInAsync("ada");

        var adminPage = await SendAsync(operatorClient, HttpMethod.Get, "/admin", html: true);
        var adminJson = await SendAsync(operatorClient, HttpMethod.Get, "/admin", html: false);
        var partner = await SendAsync(failing.CreatePartnerClient(), HttpMethod.Get, "/partner/users/grace/posts", html: true);
        var api = await SendAsync(ada, HttpMethod.Get, "/api/consents", html: false);

        adminPage.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        adminPage.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await adminPage.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Contain("data-testid=\"store-error\"");
        adminPage.Headers.RetryAfter.Should().NotBeNull();
        await ShouldBeProblem(adminJson, HttpStatusCode.ServiceUnavailable);
        await ShouldBeProblem(partner, HttpStatusCode.ServiceUnavailable, "the partner API answers problem+json even to a browser");
        await ShouldBeProblem(api, HttpStatusCode.ServiceUnavailable);
    }

    [Theory]
    [InlineData("POST", "/api/consents/receipts/1")]
    [InlineData("DELETE", "/api/consents/export")]
    [InlineData("GET", "/signout")]
    [InlineData("POST", "/robots.txt")]
    [InlineData("PUT", "/partner/users/ada/posts")]
    public async Task AWrongMethod_Is405_WithAProblemBody(string method, string path)
    {
        var ada = await _factory.SignInAsync("ada");
        ada.DefaultRequestHeaders.Add("X-Partner-Key", "demo-partner-key");

        var response = await SendAsync(ada, new HttpMethod(method), path, html: false);

        await ShouldBeProblem(response, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task AWrongMethodOrAMissingPage_InABrowser_IsAStyledPage()
    {
        var client = _factory.CreateClient();

        var wrongMethod = await SendAsync(client, HttpMethod.Get, "/signout", html: true);
        var missing = await SendAsync(client, HttpMethod.Get, "/no-such-page", html: true);

        wrongMethod.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        (await wrongMethod.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Contain("Not allowed here").And.Contain("site.css");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await missing.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Contain("Not found").And.Contain("site.css");
    }

    [Fact]
    public async Task SigningOut_EndsTheSessionOnTheServer_ACopiedCookieNoLongerWorks()
    {
        var (ada, cookies) = await _factory.SignInWithCookiesAsync("ada");
        var page = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
        var copied = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        copied.DefaultRequestHeaders.Add("Cookie", cookies.GetCookieHeader(ada.BaseAddress!));

        (await copied.GetAsync("/api/consents", TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK, "the copy works while the session lasts");

        var signOut = await ada.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = WebAppFactory.TokenIn(page) }), TestContext.Current.CancellationToken);

        signOut.StatusCode.Should().Be(HttpStatusCode.Redirect);
        (await copied.GetAsync("/api/consents", TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "signing out ended the session, not just the cookie in one browser");
        (await copied.GetAsync("/settings/privacy", TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.Redirect, "back to sign-in");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, bool html)
    {
        using var request = new HttpRequestMessage(method, path);
        if (html)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task ShouldBeProblem(HttpResponseMessage response, HttpStatusCode status, string because = "")
    {
        response.StatusCode.Should().Be(status, because);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json", because);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        problem.GetProperty("status").GetInt32().Should().Be((int)status);
        problem.GetProperty("title").GetString().Should().NotBeNullOrWhiteSpace();
    }

    public void Dispose() => _factory.Dispose();
}
