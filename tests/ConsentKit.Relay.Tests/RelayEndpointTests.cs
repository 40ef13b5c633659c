using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConsentKit.Relay.Tests;

/// <summary>The operator endpoints on a real Kestrel: status as JSON, refusals as problems, never a 500.</summary>
public sealed class RelayEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Status_DeadLetters_Replay_AndRewind_AnswerAsDocumented()
    {
        var secret = WebhookSecret.Create();
        using var receiver = new WebhookReceiver(secret) { Answer = (_, _) => HttpStatusCode.BadRequest };
        var port = WebhookReceiver.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddConsentKit().AddStandardPurposes().UseInMemoryStore()
            .AddConsentRelay(o => o.PollInterval = TimeSpan.FromMilliseconds(20))
            .AddWebhook("partner", receiver.Url, secret);
        await using var app = builder.Build();
        app.MapConsentRelayEndpoints("/ops/relay");
        await app.StartAsync(Ct);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var grant = await app.Services.GetRequiredService<IConsentRecorder>().GrantAsync(
            "ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), Ct);
        var marker = await app.Services.GetRequiredService<IConsentRecorder>().GrantAsync(
            "bob", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), Ct);
        receiver.Answer = (_, body) => body.Contains("\"subject\":\"bob\"", StringComparison.Ordinal) ? HttpStatusCode.NoContent : HttpStatusCode.BadRequest;
        await receiver.AcceptedAsync(1, Ct);

        var status = await client.GetFromJsonAsync<JsonElement>("/ops/relay", Ct);
        var partner = status.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "partner");
        partner.GetProperty("deadLetters").GetInt32().Should().Be(1);
        partner.GetProperty("newestSequence").GetInt64().Should().Be(marker.Sequence);
        var letters = await client.GetFromJsonAsync<JsonElement>("/ops/relay/partner/dead-letters", Ct);
        letters.EnumerateArray().Single().GetProperty("sequence").GetInt64().Should().Be(grant.Sequence);
        letters[0].GetProperty("error").GetString().Should().Contain("400");

        var replay = await client.PostAsync("/ops/relay/partner/replay", null, Ct);
        replay.StatusCode.Should().Be(HttpStatusCode.Accepted);
        (await replay.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("replaying").GetInt32().Should().Be(1);

        var unknown = await client.PostAsync("/ops/relay/parnter/replay", null, Ct);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        unknown.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await unknown.Content.ReadAsStringAsync(Ct)).Should().Contain("There is no relay subscription 'parnter'");
        var badRewind = await client.PostAsync("/ops/relay/partner/rewind?after=-3", null, Ct);
        badRewind.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await client.PostAsync("/ops/relay/partner/rewind?after=0", null, Ct)).StatusCode.Should().Be(HttpStatusCode.Accepted);
    }
}
