using System.Net;
using FluentAssertions;

namespace ConsentKit.Samples.Tests;

public sealed class WebAppHardeningTests : IDisposable
{
    private readonly WebAppFactory _factory = new();

    [Theory]
    [InlineData("/")]
    [InlineData("/signin")]
    [InlineData("/site.css")]
    [InlineData("/users/ada")]
    public async Task EveryPage_CarriesTheSecurityHeaders(string path)
    {
        var response = await _factory.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);

        response.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("frame-ancestors 'none'").And.Contain("script-src 'self'");
        response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        response.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
        response.Headers.GetValues("Referrer-Policy").Should().Equal("no-referrer");
    }

    [Theory]
    [InlineData("/api/consents")]
    [InlineData("/settings/privacy/download")]
    public async Task PersonalData_IsNeverCached(string path)
    {
        var ada = await _factory.SignInAsync("ada");

        var response = await ada.GetAsync(path, TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.CacheControl!.NoStore.Should().BeTrue();
    }

    [Fact]
    public async Task SignOut_WithoutTheAntiforgeryToken_IsRefused_AndTheSessionStays()
    {
        var ada = await _factory.SignInAsync("ada");

        var response = await ada.PostAsync("/signout", new FormUrlEncodedContent([]), TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ada.GetAsync("/settings/privacy", TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK, "still signed in");
    }

    [Fact]
    public async Task AMemberOpeningAdmin_SeesNotAllowed_NotTheSignInPage()
    {
        var ada = await _factory.SignInAsync("ada");

        var response = await ada.GetAsync("/admin", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().Should().Contain("/denied");
        var denied = await ada.GetAsync(response.Headers.Location, TestContext.Current.CancellationToken);
        denied.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await denied.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Should().Contain("Not allowed");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task ThePartnerApi_WithoutAValidKey_Is401_WhateverTheMembersChoice(string? key)
    {
        var client = _factory.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Partner-Key", key);
        }

        // Grace opted in to generative-AI training (demo seed); Ada did not: the same answer for both.
        var grace = await client.GetAsync("/partner/users/grace/posts", TestContext.Current.CancellationToken);
        var ada = await client.GetAsync("/partner/users/ada/posts", TestContext.Current.CancellationToken);

        grace.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        ada.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        grace.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    public void Dispose() => _factory.Dispose();
}
