using ConsentKit.Tests.Shared;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>
/// Several app instances on one database: each its own host, service provider, gate cache, connections
/// and follower. What A writes, B must see — and B must never allow a subject once its follower has
/// seen the withdrawal.
/// </summary>
public sealed class MultiInstanceTests(SchemaFixture schema) : IClassFixture<SchemaFixture>
{
    private const string Purpose = ConsentPurposes.GenerativeAiTraining;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TwoHostsInOneProcess_AGrantAndAWithdrawalOnA_TakeEffectOnB(bool notifications)
    {
        await using var a = await Instance.StartAsync(schema.Schema, notifications);
        await using var b = await Instance.StartAsync(schema.Schema, notifications);
        var subject = "ada-" + notifications;
        (await b.Gate.CheckAsync(subject, Purpose, TestContext.Current.CancellationToken)).Reason.Should().Be(ConsentDecisionReason.NoRecord);

        var grant = await a.Recorder.GrantAsync(subject, Purpose, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(async () => (await b.Gate.CheckAsync(subject, Purpose)).IsAllowed, "B allows after A's grant");
        (await b.Gate.CheckAsync(subject, Purpose, TestContext.Current.CancellationToken)).Record!.Sequence.Should().Be(grant.Sequence);

        var withdrawal = await a.Recorder.WithdrawAsync(subject, Purpose, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(async () => !(await b.Gate.CheckAsync(subject, Purpose)).IsAllowed, "B denies after A's withdrawal");
        var decision = await b.Gate.CheckAsync(subject, Purpose, TestContext.Current.CancellationToken);
        decision.Reason.Should().Be(ConsentDecisionReason.Withdrawn);
        decision.Record!.Sequence.Should().Be(withdrawal.Sequence);
    }

    [Fact]
    public async Task TwoProcesses_AGrantAndAWithdrawalOnA_TakeEffectOnB()
    {
        await using var a = await Instance.StartAsync(schema.Schema);
        await using var b = await InstanceProcess.StartAsync(TestContext.Current.CancellationToken, "postgresql", TestServer.ConnectionString, schema.Schema);
        (await b.AllowsAsync("grace", Purpose, TestContext.Current.CancellationToken)).Should().BeFalse();

        await a.Recorder.GrantAsync("grace", Purpose, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(() => b.AllowsAsync("grace", Purpose, TestContext.Current.CancellationToken), "process B allows after A's grant");

        await a.Recorder.WithdrawAsync("grace", Purpose, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(async () => !await b.AllowsAsync("grace", Purpose, TestContext.Current.CancellationToken), "process B denies after A's withdrawal");

        // And the other way round: B writes, A sees it.
        (await b.SendAsync($"grant grace {Purpose}", TestContext.Current.CancellationToken)).Should().StartWith("recorded ");
        await Eventually.TrueAsync(async () => (await a.Gate.CheckAsync("grace", Purpose)).IsAllowed, "A allows after process B's grant");
    }

    /// <summary>
    /// The hard bound, under load: 200 grant-then-withdraw cycles on A while B checks without pause.
    /// Once B's follower has read past a withdrawal, no check on B may allow that subject.
    /// </summary>
    [Fact]
    public async Task UnderConcurrentChecks_BNeverAllowsAfterItsFollowerHasSeenTheWithdrawal()
    {
        await using var a = await Instance.StartAsync(schema.Schema);
        await using var b = await Instance.StartAsync(schema.Schema);
        var withdrawnAt = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var violations = 0;
        var checks = 0L;
        using var stop = new CancellationTokenSource();
        var checkers = Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            while (!stop.IsCancellationRequested)
            {
                var subject = $"load-{random.Next(20)}";
                var seenBefore = b.Follower.Watermark ?? 0;
                var decision = await b.Gate.CheckAsync(subject, Purpose);
                Interlocked.Increment(ref checks);
                if (decision.IsAllowed && withdrawnAt.TryGetValue(subject, out var withdrawal) && seenBefore >= withdrawal
                    && decision.Record!.Sequence < withdrawal)
                {
                    Interlocked.Increment(ref violations);
                }
            }
        })).ToArray();

        for (var i = 0; i < 200; i++)
        {
            var subject = $"load-{i % 20}";
            withdrawnAt.TryRemove(subject, out _);
            await a.Recorder.GrantAsync(subject, Purpose, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
            var withdrawal = await a.Recorder.WithdrawAsync(subject, Purpose, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
            withdrawnAt[subject] = withdrawal.Sequence;
        }

        await stop.CancelAsync();
        await Task.WhenAll(checkers);
        violations.Should().Be(0);
        checks.Should().BePositive();
    }

    [Fact]
    public async Task KillingBsListeningConnection_BStillSeesWithdrawals_AndListensAgain()
    {
        await using var a = await Instance.StartAsync(schema.Schema);
        var listening = new System.Collections.Concurrent.ConcurrentQueue<int>();
        await using var b = await Instance.StartAsync(schema.Schema, onListening: listening.Enqueue);
        await Eventually.TrueAsync(() => Task.FromResult(!listening.IsEmpty), "B listens");
        await a.Recorder.GrantAsync("kim", Purpose, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);
        await Eventually.TrueAsync(async () => (await b.Gate.CheckAsync("kim", Purpose)).IsAllowed, "B allows after A's grant");

        listening.TryPeek(out var pid).Should().BeTrue();
        (await TestServer.ScalarAsync<bool>($"SELECT pg_terminate_backend({pid});", TestContext.Current.CancellationToken)).Should().BeTrue();
        var withdrawal = await a.Recorder.WithdrawAsync("kim", Purpose, ConsentEvidence.FromUserInterface("1", "test"), TestContext.Current.CancellationToken);

        await Eventually.TrueAsync(async () => !(await b.Gate.CheckAsync("kim", Purpose)).IsAllowed, "B denies after the withdrawal, its listener killed");
        await Eventually.TrueAsync(() => Task.FromResult(listening.Count >= 2), "B listens again on a new connection");
        listening.Last().Should().NotBe(pid);
        (await b.Gate.CheckAsync("kim", Purpose, TestContext.Current.CancellationToken)).Record!.Sequence.Should().Be(withdrawal.Sequence);
    }

    [Fact]
    public async Task TenInstancesStartingAtOnce_MigrateOnce()
    {
        var fresh = TestServer.NewSchemaName();
        try
        {
            var stores = Enumerable.Range(0, 10)
                .Select(_ => new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = TestServer.ConnectionString, SchemaName = fresh }))
                .ToArray();

            await Task.WhenAll(stores.Select(s => s.InitializeAsync(TestContext.Current.CancellationToken).AsTask()));

            (await TestServer.ScalarAsync<int>($"SELECT version FROM {fresh}.consentkit_schema;", TestContext.Current.CancellationToken)).Should().Be(PostgreSqlSchema.LatestVersion);
            (await stores[3].AppendAsync(
                new NewConsentRecord("x", Purpose, ConsentStatus.Refused, "1", DateTimeOffset.UtcNow, null, ConsentMethod.Operator),
                TestContext.Current.CancellationToken)).Sequence.Should().Be(1);
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
        finally
        {
            await TestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {fresh} CASCADE;");
        }
    }

    /// <summary>One app instance: a host of its own with ConsentKit on the shared schema.</summary>
    internal sealed class Instance : IAsyncDisposable
    {
        private readonly IHost _host;

        private Instance(IHost host) => _host = host;

        public IConsentGate Gate => _host.Services.GetRequiredService<IConsentGate>();

        public IConsentRecorder Recorder => _host.Services.GetRequiredService<IConsentRecorder>();

        public IServiceProvider Services => _host.Services;

        internal ConsentChangeFeedFollower Follower => _host.Services.GetRequiredService<ConsentChangeFeedFollower>();

        public static async Task<Instance> StartAsync(
            string schema, bool notifications = true, Action<int>? onListening = null, string? connectionString = null, Action<ConsentChangeFeedOptions>? feed = null)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddConsentKit().AddStandardPurposes()
                .UsePostgreSqlStore(o =>
                {
                    o.ConnectionString = connectionString ?? TestServer.ConnectionString;
                    o.SchemaName = schema;
                })
                .AddChangeFeedFollower(o =>
                {
                    o.UseNotifications = notifications;
                    feed?.Invoke(o);
                });
            var host = builder.Build();
            host.Services.GetRequiredService<PostgreSqlConsentStore>().OnListening = onListening;
            await host.StartAsync(TestContext.Current.CancellationToken);
            return new Instance(host);
        }

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }
}
