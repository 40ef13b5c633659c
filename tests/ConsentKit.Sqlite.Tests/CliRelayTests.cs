using System.Text.Json;
using FluentAssertions;

namespace ConsentKit.Sqlite.Tests;

/// <summary>The relay commands on a real SQLite file, as an operator runs them: status, dead letters, replay, rewind, a mistyped name.</summary>
public sealed class CliRelayTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task StatusDeadLettersReplayAndRewind_ShowAndChangeTheStoresRelayState()
    {
        var now = DateTimeOffset.UtcNow;
        using (var store = _database.CreateStore())
        {
            for (var i = 0; i < 3; i++)
            {
                await store.AppendAsync(new NewConsentRecord($"member-{i}", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", now, null, ConsentMethod.SubjectUserInterface, "test"));
            }

            await store.TryLeaseAsync("partner", "web-1", now, now.AddMinutes(5));
            await store.AdvanceAsync("partner", "web-1", 1, now);
            await store.AddDeadLetterAsync(new() { Subscription = "partner", Sequence = 2, Error = "https://partner.example answered 500", Attempts = 6, DeadLetteredAt = now }, "web-1", now);
        }

        var (code, table, _) = await CliTests.RunToolAsync(["relay", "status", "-c", _database.ConnectionString]);
        var (_, json, _) = await CliTests.RunToolAsync(["relay", "status", "-c", _database.ConnectionString, "--json"]);
        var (_, letters, _) = await CliTests.RunToolAsync(["relay", "dead-letters", "-c", _database.ConnectionString, "--subscription", "partner"]);
        var (replayCode, replay, _) = await CliTests.RunToolAsync(["relay", "replay", "-c", _database.ConnectionString, "--subscription", "partner"]);
        var (typoCode, _, typo) = await CliTests.RunToolAsync(["relay", "replay", "-c", _database.ConnectionString, "--subscription", "parnter"]);
        var (rewindCode, _, _) = await CliTests.RunToolAsync(["relay", "rewind", "-c", _database.ConnectionString, "--subscription", "partner", "--after", "0"]);

        code.Should().Be(0);
        table.Should().MatchRegex(@"partner\s+2\s+1\s+web-1\s+1\s");
        var partner = JsonDocument.Parse(json).RootElement.GetProperty("subscriptions")[0];
        partner.GetProperty("position").GetInt64().Should().Be(2, "the dead letter moved the position past it");
        partner.GetProperty("behind").GetInt64().Should().Be(1);
        letters.Should().MatchRegex(@"2\s+6\s+.*answered 500");
        replayCode.Should().Be(0);
        replay.Should().Contain("1 dead letter(s) of 'partner' will be delivered again");
        typoCode.Should().Be(2);
        typo.Should().Contain("No relay subscription 'parnter' has run on this store; there are: partner. Nothing was changed.");
        rewindCode.Should().Be(0);
        using var after = _database.CreateStore();
        var state = (await after.GetSubscriptionsAsync()).Single();
        state.Position.Should().Be(0);
        state.ReplayRequested.Should().BeTrue();
        (await after.GetSubscriptionsAsync()).Should().ContainSingle("a mistyped name creates nothing");
    }

    [Fact]
    public async Task NewWebhookSecret_PrintsAStandardWebhooksSecret()
    {
        var (code, output, _) = await CliTests.RunToolAsync(["new-webhook-secret"]);

        code.Should().Be(0);
        output.Trim().Should().StartWith("whsec_");
        Convert.FromBase64String(output.Trim()["whsec_".Length..]).Should().HaveCount(32);
    }
}
