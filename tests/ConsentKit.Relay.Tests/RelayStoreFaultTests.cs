using System.Net;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Relay.Tests;

/// <summary>A receiver that is down for a while, then for good, on the SQL stores: retries, dead letters, replay.</summary>
public sealed class RelayStoreFaultTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("consentkit-relay-faults-").FullName;
    private readonly string _secret = WebhookSecret.Create();
    private string? _schema;

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        TestDatabase.DropSchema(_schema);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task ADownReceiver_GetsItsChangesAfterRetries_ThenDeadLetters_AndReplayDeliversThemInOrder(string store)
    {
        using var receiver = new WebhookReceiver(_secret);
        var phase = 0;
        receiver.Answer = (n, body) => Volatile.Read(ref phase) switch
        {
            0 => n % 2 == 1 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.NoContent,
            1 when body.Contains("\"subject\":\"ada\"", StringComparison.Ordinal) => HttpStatusCode.BadGateway,
            _ => HttpStatusCode.NoContent,
        };
        await using var app = RelayHost.Build(UseStore(store), "a", b => b.AddWebhook("partner", receiver.Url, _secret));
        await app.Host.StartAsync(Ct);

        // Down half the time: every change still arrives, after a retry, in order.
        var first = await app.GrantAsync("bob");
        var second = await app.GrantAsync("carol");
        (await receiver.AcceptedAsync(2, Ct)).Select(d => d.Sequence).Should().Equal(first.Sequence, second.Sequence);

        // Down for ada for good: her changes go to the dead letters; others' keep flowing.
        Volatile.Write(ref phase, 1);
        var adaGrant = await app.GrantAsync("ada");
        var adaWithdrawal = await app.WithdrawAsync("ada");
        var bob = await app.WithdrawAsync("bob");
        (await receiver.AcceptedAsync(1, Ct)).Single().Sequence.Should().Be(bob.Sequence);
        (await app.Relay.GetDeadLettersAsync("partner", Ct)).Select(l => l.Sequence).Should().Equal(adaGrant.Sequence, adaWithdrawal.Sequence);

        // Back up: the replay delivers ada's changes, oldest first.
        Volatile.Write(ref phase, 2);
        await app.Relay.ReplayAsync("partner", Ct);
        (await receiver.AcceptedAsync(2, Ct)).Select(d => d.Sequence).Should().Equal(adaGrant.Sequence, adaWithdrawal.Sequence);
        var marker = await app.GrantAsync("marker");
        (await receiver.AcceptedAsync(1, Ct)).Single().Sequence.Should().Be(marker.Sequence);
        (await app.StatusAsync("partner")).DeadLetters.Should().Be(0);
    }

    private Action<IConsentKitBuilder> UseStore(string store)
    {
        if (store == "sqlite")
        {
            var path = Path.Combine(_directory, "consent.db");
            return b => b.UseSqliteStore($"Data Source={path}");
        }

        var connection = TestDatabase.PostgreSqlConnection();
        _schema = TestDatabase.NewSchema();
        var schema = _schema;
        return b => b.UsePostgreSqlStore(o =>
        {
            o.ConnectionString = connection;
            o.SchemaName = schema;
        });
    }
}
