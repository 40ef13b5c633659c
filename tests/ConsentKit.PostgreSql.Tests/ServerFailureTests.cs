using System.Collections.Concurrent;
using ConsentKit.Tests.Shared;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>The server goes away and comes back while instances write and check.</summary>
public sealed class ServerFailureTests
{
    private const string Purpose = ConsentPurposes.GenerativeAiTraining;

    [Fact]
    public async Task ServerDownAndRestarted_BNeverAllowsAWithdrawnSubject_DeniesWhileItCannotConfirm_AndRecovers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await PrivateCluster.StartAsync(ct);
        var fast = (ConsentChangeFeedOptions o) =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(50);
            o.MaxLag = TimeSpan.FromMilliseconds(300);
        };
        await using var a = await MultiInstanceTests.Instance.StartAsync("consentkit", connectionString: cluster.ConnectionString, feed: fast);
        await using var b = await MultiInstanceTests.Instance.StartAsync("consentkit", connectionString: cluster.ConnectionString, feed: fast);
        foreach (var subject in new[] { "victim", "steady", "late" })
        {
            await a.Recorder.GrantAsync(subject, Purpose, ConsentEvidence.FromUserInterface("1", "test"), ct);
        }

        await a.Recorder.WithdrawAsync("victim", Purpose, ConsentEvidence.FromUserInterface("1", "test"), ct);
        await Eventually.TrueAsync(async () => (await b.Gate.CheckAsync("steady", Purpose)).IsAllowed && !(await b.Gate.CheckAsync("victim", Purpose)).IsAllowed, "B is in step");

        // Checks on B never stop; "victim" must never be allowed, whatever the server does.
        var victimAllowed = 0;
        var reasons = new ConcurrentDictionary<ConsentDecisionReason, int>();
        using var stop = new CancellationTokenSource();
        var checker = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if ((await b.Gate.CheckAsync("victim", Purpose)).IsAllowed)
                {
                    Interlocked.Increment(ref victimAllowed);
                }

                reasons.AddOrUpdate((await b.Gate.CheckAsync("steady", Purpose)).Reason, 1, (_, n) => n + 1);
            }
        });

        await cluster.StopAsync(ct);
        await Eventually.TrueAsync(() => Task.FromResult(b.Follower.Watermark is not null && !b.Services.GetRequiredService<ConsentChangeFeedState>().CacheUsable), "B's follower falls behind");
        (await b.Gate.CheckAsync("steady", Purpose, ct)).Reason.Should().Be(ConsentDecisionReason.StoreUnavailable, "a cached grant is not trusted while B cannot hear of withdrawals");

        await cluster.StartAgainAsync(ct);
        await Eventually.TrueAsync(async () => (await b.Gate.CheckAsync("steady", Purpose)).IsAllowed, "B recovers by itself", TimeSpan.FromSeconds(30));
        await a.Recorder.WithdrawAsync("late", Purpose, ConsentEvidence.FromUserInterface("1", "test"), ct);
        await Eventually.TrueAsync(async () => !(await b.Gate.CheckAsync("late", Purpose)).IsAllowed, "B sees a withdrawal made after the restart");

        await stop.CancelAsync();
        await checker;
        victimAllowed.Should().Be(0);
        reasons.Keys.Should().Contain(ConsentDecisionReason.StoreUnavailable).And.Contain(ConsentDecisionReason.Granted);
    }

    [Fact]
    public async Task AppendsInFlightDuringARestart_EitherCommittedAndInTheFeed_OrFailedToTheCaller()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await PrivateCluster.StartAsync(ct);
        await using var store = new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = cluster.ConnectionString });
        await store.InitializeAsync(ct);
        var acknowledged = new ConcurrentBag<(string Subject, long Sequence)>();
        var failed = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var subject = $"flight-{w}-{i}";
                try
                {
                    var stored = await store.AppendAsync(new NewConsentRecord(subject, Purpose, ConsentStatus.Refused, "1", DateTimeOffset.UtcNow, null, ConsentMethod.Operator));
                    acknowledged.Add((subject, stored.Sequence));
                }
                catch (ConsentStoreException)
                {
                    failed.Add(subject);
                    await Task.Yield();
                }
            }
        })).ToArray();

        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count > 50), "appends flow");
        await cluster.RestartAsync(ct);
        var afterRestart = acknowledged.Count;
        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count > afterRestart + 50), "appends flow again after the restart", TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var feed = new List<ConsentRecord>();
        for (long watermark = 0; ;)
        {
            var page = await store.GetChangesAsync(watermark, 1000, ct);
            if (page.Count == 0)
            {
                break;
            }

            feed.AddRange(page);
            watermark = page[^1].Sequence;
        }

        feed.Select(r => r.Sequence).Should().OnlyHaveUniqueItems().And.BeInAscendingOrder();
        var inFeed = feed.ToDictionary(r => r.SubjectId, r => r.Sequence);
        acknowledged.Should().OnlyContain(a => inFeed.ContainsKey(a.Subject) && inFeed[a.Subject] == a.Sequence, "every acknowledged append is in the feed");
        var acknowledgedSubjects = acknowledged.Select(a => a.Subject).ToHashSet();
        inFeed.Keys.Where(s => !acknowledgedSubjects.Contains(s)).Should().BeSubsetOf(failed, "a record the caller was not told about can only be one whose call failed in doubt");
        failed.Should().NotBeEmpty("the restart should have interrupted some appends");

        // Nothing half-written: the current state of every pair is exactly its record.
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM consentkit.consent_events e LEFT JOIN consentkit.consent_current c ON c.subject_key = e.subject_key AND c.purpose_id = e.purpose_id AND c.sequence = e.sequence WHERE c.sequence IS NULL;",
            connection);
        ((long)(await command.ExecuteScalarAsync(ct))!).Should().Be(0);
    }
}
