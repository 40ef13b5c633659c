using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ConsentKit.Relay.Tests;

/// <summary>The relay in one process: what a webhook receives, filters, retries, dead letters, replay, rewind and the in-process handlers.</summary>
public sealed class RelayDeliveryTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _secret = WebhookSecret.Create();
    private readonly InMemoryConsentStore _store = new();
    private readonly WebhookReceiver _receiver;

    public RelayDeliveryTests() => _receiver = new WebhookReceiver(_secret);

    public void Dispose() => _receiver.Dispose();

    [Fact]
    public async Task EveryChange_ReachesTheWebhook_InOrder_AsASignedStructuredCloudEvent()
    {
        await using var app = await RelayHost.StartAsync(_store, "a", b => b.AddWebhook("partner", _receiver.Url, _secret));
        var grant = await app.GrantAsync("ada");
        await app.GrantAsync("bob");
        var withdrawal = await app.WithdrawAsync("ada");

        var deliveries = await _receiver.AcceptedAsync(3, Ct);

        deliveries.Select(d => d.Sequence).Should().Equal(grant.Sequence, grant.Sequence + 1, withdrawal.Sequence);
        deliveries.Should().AllSatisfy(d =>
        {
            d.SignatureValid.Should().BeTrue("the receiver checks the Standard Webhooks signature itself");
            d.ContentType.Should().StartWith("application/cloudevents+json");
        });
        var last = ConsentCloudEvents.Parse(System.Text.Encoding.UTF8.GetBytes(deliveries[2].Body));
        last.Id.Should().Be(withdrawal.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        last.Type.Should().Be("dev.consentkit.consent.withdrawn");
        last.Subject.Should().Be("ada");
        last.Source.Should().Be(new Uri("urn:consentkit:test"));
        var data = (JsonElement)last.Data!;
        data.GetProperty("purposeId").GetString().Should().Be(ConsentPurposes.GenerativeAiTraining);
        data.GetProperty("status").GetString().Should().Be("withdrawn");
    }

    // Without the wake this would wait an hour: the time-out turns that into a failure.
    [Fact(Timeout = 30_000)]
    public async Task AWriteInThisProcess_WakesTheRelay_WithoutWaitingForItsPoll()
    {
        await using var app = await RelayHost.StartAsync(_store, "a", b => b.AddWebhook("partner", _receiver.Url, _secret), o => o.PollInterval = TimeSpan.FromHours(1));

        var grant = await app.GrantAsync("ada");

        (await _receiver.AcceptedAsync(1, TestContext.Current.CancellationToken)).Single().Sequence.Should().Be(grant.Sequence, "the recorder woke the relay; its next poll is an hour away");
    }

    [Fact]
    public async Task AWithdrawal_CarriesTheTrainingSetsAndModelsHoldingThePerson_ToTheWebhookAndTheImpactHandlers()
    {
        var impacts = Channel.CreateUnbounded<WithdrawalImpact>();
        await using var app = await RelayHost.StartAsync(_store, "a", b =>
        {
            b.AddWebhook("partner", _receiver.Url, _secret, w => w.Statuses.Add(ConsentStatus.Withdrawn));
            b.Services.AddSingleton(impacts);
            b.AddWithdrawalImpactHandler<ChannelImpactHandler>();
        });
        var grant = await app.GrantAsync("ada");
        var ledger = app.Services.GetRequiredService<IDataUseLedger>();
        await ledger.StartAsync(new NewDataUse { Id = "set-1", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "posts", StartedAt = grant.RecordedAt }, Ct);
        await ledger.AddSubjectsAsync("set-1", [new DataUseSubject { SubjectId = "ada", ConsentSequence = grant.Sequence }], Ct);
        await ledger.CompleteAsync("set-1", grant.RecordedAt, 1, 1, Ct);
        var lineage = app.Services.GetRequiredService<IModelLineage>();
        await lineage.RecordArtifactAsync(new NewArtifact
        {
            Id = "base", Version = "1", Kind = ArtifactKinds.Model, Owner = "ml", BuiltAt = grant.RecordedAt.AddMinutes(1), Inputs = [ArtifactInput.FromDataUse("set-1")],
        }, Ct);
        await lineage.DeployAsync("chat", "base", "ml", Ct);

        var withdrawal = await app.WithdrawAsync("ada");

        var delivery = (await _receiver.AcceptedAsync(1, Ct)).Single();
        delivery.Sequence.Should().Be(withdrawal.Sequence, "the filter lets only withdrawals through");
        var data = JsonDocument.Parse(delivery.Body).RootElement.GetProperty("data");
        data.GetProperty("affectedDataUses").EnumerateArray().Select(u => u.GetProperty("id").GetString()).Should().Equal("set-1");
        var artifact = data.GetProperty("affectedArtifacts").EnumerateArray().Single();
        artifact.GetProperty("id").GetString().Should().Be("base");
        artifact.GetProperty("path").EnumerateArray().Select(p => p.GetString()).Should().Equal("set-1", "base");
        artifact.GetProperty("deployments").EnumerateArray().Select(p => p.GetString()).Should().Equal("chat");
        var impact = await impacts.Reader.ReadAsync(Ct);
        impact.Record.Sequence.Should().Be(withdrawal.Sequence);
        impact.AffectedDataUses.Select(u => u.Id).Should().Equal("set-1");
    }

    [Fact]
    public async Task AFilter_DeliversOnlyItsPurposesAndStatuses()
    {
        await using var app = await RelayHost.StartAsync(_store, "a", b => b.AddWebhook("partner", _receiver.Url, _secret, w =>
        {
            w.Purposes.Add(ConsentPurposes.AiTraining);
            w.Statuses.Add(ConsentStatus.Withdrawn);
        }));
        await app.GrantAsync("ada");
        var wanted = await app.WithdrawAsync("ada");
        await app.GrantAsync("ada", ConsentPurposes.Analytics);
        var last = await app.WithdrawAsync("ada", ConsentPurposes.Analytics);
        var marker = await app.WithdrawAsync("bob", ConsentPurposes.AiTraining);

        var deliveries = await _receiver.AcceptedAsync(2, Ct);

        deliveries.Select(d => d.Sequence).Should().Equal(wanted.Sequence, marker.Sequence);
        _receiver.Received.Should().HaveCount(2, "the analytics changes and the grant were never sent");
        last.Sequence.Should().BeLessThan(marker.Sequence);
    }

    [Fact]
    public async Task AReceiverDownForAWhile_GetsTheChangeOnALaterAttempt_UnderTheSameId()
    {
        _receiver.Answer = (n, _) => n <= 2 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK;
        await using var app = await RelayHost.StartAsync(_store, "a", b => b.AddWebhook("partner", _receiver.Url, _secret));

        var grant = await app.GrantAsync("ada");

        (await _receiver.AcceptedAsync(1, Ct)).Single().Sequence.Should().Be(grant.Sequence);
        _receiver.Received.Select(r => r.Id).Should().Equal(Enumerable.Repeat(grant.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), 3));
        var status = await app.StatusAsync("partner");
        status.DeadLetters.Should().Be(0);
    }

    [Fact]
    public async Task AReceiverThatKeepsFailing_DeadLettersTheChange_HoldsThatPersonsLaterChangesBehindIt_AndReplayDeliversThemInOrder()
    {
        var fixedReceiver = false;
        _receiver.Answer = (_, body) => !Volatile.Read(ref fixedReceiver) && body.Contains("\"subject\":\"ada\"", StringComparison.Ordinal)
            ? HttpStatusCode.InternalServerError
            : HttpStatusCode.NoContent;
        await using var app = await RelayHost.StartAsync(_store, "a", b => b.AddWebhook("partner", _receiver.Url, _secret));
        var adaGrant = await app.GrantAsync("ada");
        var bobGrant = await app.GrantAsync("bob");
        var adaWithdrawal = await app.WithdrawAsync("ada");
        var bobWithdrawal = await app.WithdrawAsync("bob");

        (await _receiver.AcceptedAsync(2, Ct)).Select(d => d.Sequence).Should().Equal(bobGrant.Sequence, bobWithdrawal.Sequence);
        var letters = await app.Relay.GetDeadLettersAsync("partner", Ct);
        letters.Select(l => l.Sequence).Should().Equal(adaGrant.Sequence, adaWithdrawal.Sequence);
        letters[0].Attempts.Should().Be(3);
        letters[0].Error.Should().Contain("500");
        letters[1].Attempts.Should().Be(0, "it never went out: ada's earlier change had not arrived");
        var health = await new ConsentRelayHealthCheck(app.Services).CheckHealthAsync(new HealthCheckContext(), Ct);
        health.Status.Should().Be(HealthStatus.Degraded);
        health.Description.Should().Contain("2 dead letter(s)");

        Volatile.Write(ref fixedReceiver, true);
        (await app.Relay.ReplayAsync("partner", Ct)).Should().Be(2);

        (await _receiver.AcceptedAsync(2, Ct)).Select(d => d.Sequence).Should().Equal(adaGrant.Sequence, adaWithdrawal.Sequence);
        var marker = await app.GrantAsync("marker");
        (await _receiver.AcceptedAsync(1, Ct)).Single().Sequence.Should().Be(marker.Sequence, "a change made after the replay comes after it");
        var after = await app.StatusAsync("partner");
        after.DeadLetters.Should().Be(0);
        after.ReplayRequested.Should().BeFalse();
    }

    [Fact]
    public async Task AReceiverThatRefusesTheChangeItself_DeadLettersItWithoutRetrying()
    {
        _receiver.Answer = (_, body) => body.Contains("\"subject\":\"marker\"", StringComparison.Ordinal) ? HttpStatusCode.NoContent : HttpStatusCode.Gone;
        await using var app = await RelayHost.StartAsync(_store, "a", b => b.AddWebhook("partner", _receiver.Url, _secret));
        var grant = await app.GrantAsync("ada");
        var other = await app.GrantAsync("bob", ConsentPurposes.Analytics);
        await app.GrantAsync("marker");

        // Changes go out in order: once the marker is accepted, the two before it were dealt with.
        await _receiver.AcceptedAsync(1, Ct);

        var letters = await app.Relay.GetDeadLettersAsync("partner", Ct);
        letters.Select(l => (l.Sequence, l.Attempts)).Should().Equal((grant.Sequence, 1), (other.Sequence, 1));
        _receiver.Received.Should().HaveCount(3, "a 410 is not retried");
    }

    [Fact]
    public async Task Rewind_DeliversAgain_UnderTheSameIds()
    {
        await using var app = await RelayHost.StartAsync(_store, "a", b => b.AddWebhook("partner", _receiver.Url, _secret));
        await app.GrantAsync("ada");
        await app.GrantAsync("bob");
        var first = await _receiver.AcceptedAsync(2, Ct);

        await app.Relay.RewindAsync("partner", 0, Ct);

        (await _receiver.AcceptedAsync(2, Ct)).Select(d => (d.Id, d.Body)).Should().Equal(first.Select(d => (d.Id, d.Body)));
    }

    [Fact]
    public async Task InProcessObservers_AreCalledByTheRelay_NotByTheRecorder()
    {
        var seen = Channel.CreateUnbounded<ConsentRecord>();
        await using var app = RelayHost.Build(_store, "a", b =>
        {
            b.Services.AddSingleton(seen);
            b.AddChangeObserver<ChannelObserver>();
        });

        var grant = await app.GrantAsync("ada");

        seen.Reader.TryRead(out _).Should().BeFalse("the recorder no longer calls observers, and the relay has not started");
        await app.Host.StartAsync(Ct);
        (await seen.Reader.ReadAsync(Ct)).Sequence.Should().Be(grant.Sequence);
    }

    [Fact]
    public async Task TwoInstances_OneRelays_TheOtherTakesOverWhenItStops()
    {
        var a = await RelayHost.StartAsync(_store, "a", b => b.AddWebhook("partner", _receiver.Url, _secret));
        var first = await a.GrantAsync("ada");
        (await _receiver.AcceptedAsync(1, Ct)).Single().Sequence.Should().Be(first.Sequence);
        await using var b = await RelayHost.StartAsync(_store, "b", c => c.AddWebhook("partner", _receiver.Url, _secret));
        (await b.StatusAsync("partner")).ActiveInstance.Should().Be("a");

        await a.DisposeAsync();
        var second = await b.GrantAsync("bob");

        (await _receiver.AcceptedAsync(1, Ct)).Single().Sequence.Should().Be(second.Sequence);
        (await b.StatusAsync("partner")).ActiveInstance.Should().Be("b");
        _receiver.Received.Select(r => r.Sequence).Should().OnlyHaveUniqueItems("a graceful stop leaves nothing half delivered");
    }

    [Fact]
    public async Task BadOptions_StopTheAppAtStart_ListingEachProblem()
    {
        await using var app = RelayHost.Build(_store, "a", b =>
        {
            b.AddWebhook("partner", new Uri("ftp://example.org/hooks"), "not-a-secret", w => w.Purposes.Add("no-such-purpose"));
            b.AddWebhook("Bad Name", _receiver.Url, _secret);
        }, o => o.AttemptTimeout = TimeSpan.FromSeconds(5));

        var error = (await FluentActions.Awaiting(() => app.Host.StartAsync(Ct)).Should().ThrowAsync<OptionsValidationException>()).Which;

        error.Message.Should().Contain("Webhook 'partner': Url must be an absolute http or https URL")
            .And.Contain("Webhook 'partner': Secret must be 'whsec_'")
            .And.Contain("'no-such-purpose', which is not a registered purpose")
            .And.Contain("'Bad Name' is not a subscription name")
            .And.Contain("AttemptTimeout must be shorter than LeaseDuration");
    }

    [Fact]
    public async Task AnUnknownSubscription_IsRefusedByTheOperatorCalls_NamingIt()
    {
        await using var app = RelayHost.Build(_store, "a", b => b.AddWebhook("partner", _receiver.Url, _secret));

        var error = (await FluentActions.Awaiting(async () => await app.Relay.ReplayAsync("parnter", Ct)).Should().ThrowAsync<ArgumentException>()).Which;

        error.ParamName.Should().Be("subscription");
        error.Message.Should().Contain("in-process, partner");
    }

    private sealed class ChannelImpactHandler(Channel<WithdrawalImpact> impacts) : IWithdrawalImpactHandler
    {
        public ValueTask OnWithdrawalAsync(WithdrawalImpact impact, CancellationToken cancellationToken) => impacts.Writer.WriteAsync(impact, cancellationToken);
    }

    private sealed class ChannelObserver(Channel<ConsentRecord> seen) : IConsentChangeObserver
    {
        public ValueTask OnRecordedAsync(ConsentRecord record, CancellationToken cancellationToken) => seen.Writer.WriteAsync(record, cancellationToken);
    }
}
