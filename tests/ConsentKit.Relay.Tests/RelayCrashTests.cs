using System.Net;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Relay.Tests;

/// <summary>
/// The relay in real processes killed with SIGKILL, on SQLite and PostgreSQL: a relay killed mid-batch, a withdrawal
/// recorded by a process killed right after its commit, a second instance taking over. Every change arrives; a change
/// arrives twice only under the same id.
/// </summary>
public sealed class RelayCrashTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("consentkit-relay-crash-").FullName;
    private readonly string _secret = WebhookSecret.Create();
    private string? _schema;

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        TestDatabase.DropSchema(_schema);
    }

    [Fact]
    public Task Sqlite_ARelayKilledMidBatch_AndAWriterKilledAfterItsCommit_LoseNothing() =>
        RunAsync("sqlite", $"Data Source={Path.Combine(_directory, "consent.db")}", new Dictionary<string, string>());

    [Fact]
    public Task PostgreSql_ARelayKilledMidBatch_AndAWriterKilledAfterItsCommit_LoseNothing()
    {
        _schema = TestDatabase.NewSchema();
        return RunAsync("postgresql", TestDatabase.PostgreSqlConnection(), new Dictionary<string, string> { ["CONSENTKIT_RELAY_SCHEMA"] = _schema });
    }

    private async Task RunAsync(string store, string connection, Dictionary<string, string> environment)
    {
        using var receiver = new WebhookReceiver(_secret);
        var sequences = await SeedAsync(store, connection, environment.GetValueOrDefault("CONSENTKIT_RELAY_SCHEMA"));

        // The 10th delivery is held unanswered: the relay has sent it and is waiting when it is killed.
        receiver.Answer = (n, _) => n == 10 ? null : HttpStatusCode.NoContent;
        using (var first = ChildProcess.Worker(environment, "relay", store, connection, "first", receiver.Url.ToString(), _secret))
        {
            await first.WaitForLineAsync(l => l == "ready", Ct);
            await receiver.Held.Task.WaitAsync(Ct);
            await first.KillAsync();
        }

        // A withdrawal whose process dies right after the commit, before anything could tell anyone.
        long withdrawal;
        using (var writer = ChildProcess.Worker(environment, "withdraw", store, connection, "ada"))
        {
            withdrawal = long.Parse((await writer.WaitForLineAsync(l => l.StartsWith("ack ", StringComparison.Ordinal), Ct))[4..], System.Globalization.CultureInfo.InvariantCulture);
            await writer.WaitForExitAsync(Ct);
        }

        // Another instance takes the lease once the dead one's runs out, and carries on from the last acknowledged change.
        using var second = ChildProcess.Worker(environment, "relay", store, connection, "second", receiver.Url.ToString(), _secret);
        var expected = sequences.Append(withdrawal).ToHashSet();
        var delivered = new HashSet<long>();
        while (!expected.IsSubsetOf(delivered))
        {
            delivered.Add((await receiver.AcceptedAsync(1, Ct)).Single().Sequence);
        }

        (await second.WaitForLineAsync(l => l.StartsWith("impact ", StringComparison.Ordinal), Ct)).Should().Be($"impact {withdrawal} set-1",
            "the withdrawal reaches the impact handler with the training set that holds ada");
        var received = receiver.Received.ToList();
        received.Should().OnlyContain(r => r.SignatureValid);
        received.Select(r => r.Sequence).Should().BeSubsetOf(expected);
        foreach (var repeated in received.GroupBy(r => r.Id).Where(g => g.Count() > 1))
        {
            repeated.Select(r => ConsentCloudEvents.Parse(System.Text.Encoding.UTF8.GetBytes(r.Body)).Data!.ToString()).Distinct().Should().ContainSingle(
                $"change {repeated.Key} came again only as the same event");
        }

        received.Count(r => r.Sequence == sequences[9]).Should().BeGreaterThanOrEqualTo(2, "the change in flight when the relay died is sent again");
    }

    /// <summary>30 grants (ada first) and a training set holding ada, written by this process.</summary>
    private static async Task<List<long>> SeedAsync(string store, string connection, string? schema)
    {
        var services = new ServiceCollection();
        var consent = services.AddConsentKit().AddStandardPurposes();
        if (store == "sqlite")
        {
            consent.UseSqliteStore(connection);
        }
        else
        {
            consent.UsePostgreSqlStore(o =>
            {
                o.ConnectionString = connection;
                o.SchemaName = schema ?? o.SchemaName;
            });
        }

        await using var provider = services.BuildServiceProvider();
        var recorder = provider.GetRequiredService<IConsentRecorder>();
        var sequences = new List<long>();
        foreach (var subject in new[] { "ada" }.Concat(Enumerable.Range(1, 29).Select(i => $"member-{i:00}")))
        {
            sequences.Add((await recorder.GrantAsync(subject, ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), Ct)).Sequence);
        }

        var ledger = provider.GetRequiredService<IDataUseLedger>();
        await ledger.StartAsync(new NewDataUse { Id = "set-1", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "posts", StartedAt = DateTimeOffset.UtcNow }, Ct);
        await ledger.AddSubjectsAsync("set-1", [new DataUseSubject { SubjectId = "ada", ConsentSequence = sequences[0] }], Ct);
        return sequences;
    }
}
