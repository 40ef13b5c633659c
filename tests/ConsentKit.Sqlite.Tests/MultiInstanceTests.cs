using ConsentKit.Tests.Shared;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConsentKit.Sqlite.Tests;

/// <summary>
/// Two instances on one SQLite file — the web app and the training-set job is the real case: what one
/// writes, the other's gate sees through its change-feed follower.
/// </summary>
public sealed class MultiInstanceTests : IDisposable
{
    private const string Purpose = ConsentPurposes.GenerativeAiTraining;
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task TwoHostsOnOneFile_AGrantAndAWithdrawalOnA_TakeEffectOnB()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await StartHostAsync();
        using var b = await StartHostAsync();
        var gateB = b.Services.GetRequiredService<IConsentGate>();
        var recorderA = a.Services.GetRequiredService<IConsentRecorder>();
        (await gateB.CheckAsync("ada", Purpose, ct)).IsAllowed.Should().BeFalse();

        await recorderA.GrantAsync("ada", Purpose, ConsentEvidence.FromUserInterface("1", "test"), ct);
        await Eventually.TrueAsync(async () => (await gateB.CheckAsync("ada", Purpose)).IsAllowed, "B allows after A's grant");

        var withdrawal = await recorderA.WithdrawAsync("ada", Purpose, ConsentEvidence.FromUserInterface("1", "test"), ct);
        await Eventually.TrueAsync(async () => !(await gateB.CheckAsync("ada", Purpose)).IsAllowed, "B denies after A's withdrawal");
        (await gateB.CheckAsync("ada", Purpose, ct)).Record!.Sequence.Should().Be(withdrawal.Sequence);
        await a.StopAsync(ct);
        await b.StopAsync(ct);
    }

    [Fact]
    public async Task TwoProcessesOnOneFile_AGrantAndAWithdrawalOnA_TakeEffectOnB()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await StartHostAsync();
        await using var b = await InstanceProcess.StartAsync(ct, "sqlite", _database.Path);
        var recorderA = a.Services.GetRequiredService<IConsentRecorder>();
        (await b.AllowsAsync("grace", Purpose, ct)).Should().BeFalse();

        await recorderA.GrantAsync("grace", Purpose, ConsentEvidence.FromUserInterface("1", "test"), ct);
        await Eventually.TrueAsync(() => b.AllowsAsync("grace", Purpose, ct), "process B allows after A's grant");

        await recorderA.WithdrawAsync("grace", Purpose, ConsentEvidence.FromUserInterface("1", "test"), ct);
        await Eventually.TrueAsync(async () => !await b.AllowsAsync("grace", Purpose, ct), "process B denies after A's withdrawal");

        (await b.SendAsync($"grant grace {Purpose}", ct)).Should().StartWith("recorded ");
        var gateA = a.Services.GetRequiredService<IConsentGate>();
        await Eventually.TrueAsync(async () => (await gateA.CheckAsync("grace", Purpose)).IsAllowed, "A allows after process B's grant");
        await a.StopAsync(ct);
    }

    [Fact]
    public async Task AJobsKeptSnapshot_SeesWhatTheWebAppRecordedBetweenItsRuns_AndTheScanAgreesWithIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var web = await StartHostAsync();
        using var job = await StartHostAsync();
        var recorder = web.Services.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        for (var i = 0; i < 40; i += 2)
        {
            await recorder.GrantAsync($"member-{i}", Purpose, evidence, ct);
        }

        var filter = job.Services.GetRequiredService<ConsentFilter>();
        var kept = filter.KeepSnapshot(Purpose);
        var posts = Enumerable.Range(0, 200).Select(i => (Id: i, Author: $"member-{i % 40}")).ToArray();
        async Task<List<string>> AuthorsKeptAsync(ConsentFilterOptions options) =>
            [.. (await filter.Filter(posts, p => p.Author, Purpose, options).ToListAsync(ct)).Select(p => p.Author).Distinct().Order(StringComparer.Ordinal)];

        (await AuthorsKeptAsync(new() { KeptSnapshot = kept })).Should().HaveCount(20);

        await recorder.WithdrawAsync("member-0", Purpose, evidence, ct);
        await recorder.RefuseAsync("member-2", Purpose, evidence, ct);
        await recorder.GrantAsync("member-1", Purpose, evidence, ct);
        var later = await AuthorsKeptAsync(new() { KeptSnapshot = kept });

        later.Should().NotContain(["member-0", "member-2"]).And.Contain("member-1").And.HaveCount(19);
        later.Should().Equal(await AuthorsKeptAsync(new() { Lookup = ConsentFilterLookup.Snapshot }), "catching up decides as a fresh scan of the file does");
        kept.Watermark.Should().Be(await job.Services.GetRequiredService<IConsentStore>().GetLastSequenceAsync(ct));
        kept.FullReads.Should().Be(1);
        await web.StopAsync(ct);
        await job.StopAsync(ct);
    }

    [Fact]
    public async Task TheHealthCheck_ReportsTheSchemaVersion_AndAnUnopenableFile()
    {
        using var good = _database.CreateStore();
        using var bad = new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = $"Data Source={Path.Combine(_database.Directory, "missing", "dir", "consent.db")}" });
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration("consent-store", _ => null!, HealthStatus.Unhealthy, null) };

        var healthy = await new SqliteConsentStoreHealthCheck(good).CheckHealthAsync(context, TestContext.Current.CancellationToken);
        var unhealthy = await new SqliteConsentStoreHealthCheck(bad).CheckHealthAsync(context, TestContext.Current.CancellationToken);

        healthy.Status.Should().Be(HealthStatus.Healthy);
        healthy.Data["schemaVersion"].Should().Be(SqliteSchema.LatestVersion);
        unhealthy.Status.Should().Be(HealthStatus.Unhealthy);
        unhealthy.Description.Should().Contain("cannot be opened");
    }

    public void Dispose() => _database.Dispose();

    private async Task<IHost> StartHostAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }
}
