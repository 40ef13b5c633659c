using System.Net;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Relay.Tests;

/// <summary>The sample receiver in Python (standard library only) against a real relay: signatures, deduplication, forgeries.</summary>
public sealed class PythonReceiverTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("consentkit-python-receiver-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ThePythonReceiver_VerifiesEachDelivery_KeepsEachChangeOnce_AndRefusesAForgery()
    {
        var secret = WebhookSecret.Create();
        var port = WebhookReceiver.FreePort();
        var received = Path.Combine(_directory, "received.jsonl");
        using var python = ChildProcess.Start("python3", [Path.Combine(AppContext.BaseDirectory, "receiver.py"), "--port", $"{port}", "--secret", secret, "--out", received]);
        await python.WaitForLineAsync(l => l.StartsWith("listening", StringComparison.Ordinal), Ct);
        var store = new InMemoryConsentStore();
        await using var app = await RelayHost.StartAsync(store, "a", b => b.AddWebhook("partner", new Uri($"http://127.0.0.1:{port}/"), secret));

        var grant = await app.GrantAsync("ada");
        var withdrawal = await app.WithdrawAsync("ada");
        (await python.WaitForLineAsync(l => l.StartsWith("accepted", StringComparison.Ordinal), Ct)).Should().Be($"accepted {grant.Sequence} dev.consentkit.consent.granted ada");
        (await python.WaitForLineAsync(l => l.StartsWith("accepted", StringComparison.Ordinal), Ct)).Should().Be($"accepted {withdrawal.Sequence} dev.consentkit.consent.withdrawn ada");

        await app.Relay.RewindAsync("partner", 0, Ct);
        (await python.WaitForLineAsync(l => l.StartsWith("duplicate", StringComparison.Ordinal), Ct)).Should().Be($"duplicate {grant.Sequence}");
        (await python.WaitForLineAsync(l => l.StartsWith("duplicate", StringComparison.Ordinal), Ct)).Should().Be($"duplicate {withdrawal.Sequence}");

        using var client = new HttpClient();
        using var forged = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/")
        {
            Content = new StringContent("""{"specversion":"1.0","id":"999","source":"urn:consentkit:test","type":"dev.consentkit.consent.granted"}""", Encoding.UTF8, "application/cloudevents+json"),
        };
        forged.Headers.Add("webhook-id", "999");
        forged.Headers.Add("webhook-timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        forged.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(new byte[32]));
        (await client.SendAsync(forged, Ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        (await File.ReadAllLinesAsync(received, Ct)).Should().HaveCount(2, "each change kept once; the forgery not at all");
    }
}
