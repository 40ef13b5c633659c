using System.Net;
using System.Text;
using System.Threading.Channels;
using ConsentKit.Tests.Shared;
using FluentAssertions;

namespace ConsentKit.Samples.Tests;

/// <summary>
/// The sample's relay: a member turning off sharing reaches the partner's webhook as a signed CloudEvent, and the
/// sample's own partner inbox checks signatures and shows what it received.
/// </summary>
public sealed class PartnerRelayTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly LoopbackEndpoint _partner;
    private readonly Channel<(string Body, WebHeaderCollection Headers)> _received = Channel.CreateUnbounded<(string, WebHeaderCollection)>();
    private readonly WebAppFactory _factory;

    public PartnerRelayTests()
    {
        _partner = new LoopbackEndpoint(ReceiveAsync);
        _factory = new WebAppFactory(settings: new Dictionary<string, string>
        {
            ["ConsentKit:Relay:PartnerUrl"] = _partner.Url("/consent-events").ToString(),
            ["ConsentKit:Relay:PollInterval"] = "00:00:00.05",
        });
    }

    public void Dispose()
    {
        _factory.Dispose();
        _partner.Dispose();
    }

    [Fact]
    public async Task TurningOffSharing_ReachesThePartner_AsASignedEvent_ThatTheInboxVerifiesAndShows()
    {
        var ada = await _factory.SignInAsync("ada");
        var page = await ada.GetStringAsync("/settings/privacy", Ct);
        (await Toggle(ada, page, turnOn: true)).StatusCode.Should().Be(HttpStatusCode.Redirect);
        page = await ada.GetStringAsync("/settings/privacy", Ct);
        (await Toggle(ada, page, turnOn: false)).StatusCode.Should().Be(HttpStatusCode.Redirect);

        var (body, headers) = await _received.Reader.ReadAsync(Ct);

        body.Should().Contain("\"type\":\"dev.consentkit.consent.withdrawn\"").And.Contain("\"subject\":\"ada\"").And.Contain(ConsentPurposes.ThirdPartySharing);
        headers["webhook-signature"].Should().StartWith("v1,");
        var client = _factory.CreateClient();
        (await client.SendAsync(Delivery(body, headers), Ct)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await client.SendAsync(Delivery(body, headers), Ct)).StatusCode.Should().Be(HttpStatusCode.NoContent, "a repeat is acknowledged");
        var forged = await client.SendAsync(Delivery(body.Replace("\"ada\"", "\"bob\"", StringComparison.Ordinal), headers), Ct);
        forged.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var admin = await (await _factory.SignInAsync("operator")).GetStringAsync("/admin", Ct);
        var inbox = admin[admin.IndexOf("data-testid=\"partner-events\"", StringComparison.Ordinal)..admin.IndexOf("data-testid=\"relay\"", StringComparison.Ordinal)];
        inbox.Should().Contain("data-subject=\"ada\"").And.NotContain("data-subject=\"bob\"");
        inbox.Split("<li").Should().HaveCount(2, "the repeat was kept once");
    }

    private static HttpRequestMessage Delivery(string body, WebHeaderCollection headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/partner-inbox/consent-events") { Content = new StringContent(body, Encoding.UTF8, "application/cloudevents+json") };
        foreach (var name in new[] { "webhook-id", "webhook-timestamp", "webhook-signature" })
        {
            request.Headers.Add(name, headers[name]);
        }

        return request;
    }

    private static Task<HttpResponseMessage> Toggle(HttpClient client, string page, bool turnOn) =>
        client.PostAsync("/settings/privacy", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["purposeId"] = ConsentPurposes.ThirdPartySharing,
            ["noticeVersion"] = "1",
            ["turnOn"] = turnOn ? "true" : "false",
            ["__RequestVerificationToken"] = WebAppFactory.TokenIn(page),
        }), Ct);

    private async Task ReceiveAsync(HttpListenerContext context)
    {
        var body = await LoopbackEndpoint.BodyAsync(context);
        var headers = new WebHeaderCollection();
        foreach (var name in new[] { "webhook-id", "webhook-timestamp", "webhook-signature" })
        {
            headers[name] = context.Request.Headers[name];
        }

        context.Response.StatusCode = 204;
        context.Response.Close();
        await _received.Writer.WriteAsync((body, headers));
    }
}
