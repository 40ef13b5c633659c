using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ConsentKit.Tests;

public sealed class DiagnosticsTests
{
    [Fact]
    public async Task EveryDecision_IsCounted_WithPurposeOutcomeAndReason()
    {
        using var kit = new ConsentKitFixture(services: s => s.AddMetrics());

        // Granting a child purpose asks the gate about its parent: count only the checks below.
        await kit.GrantAsync("alice");
        using var collector = new MetricCollector<long>(
            kit.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "ConsentKit", "consentkit.gate.decisions");

        await kit.CheckAsync("alice");
        await kit.CheckAsync("alice");
        await kit.CheckAsync("bob");
        await kit.CheckAsync("bob", "not-registered");

        var points = collector.GetMeasurementSnapshot();
        points.Should().HaveCount(4);
        points.Take(2).Should().AllSatisfy(p =>
        {
            p.Tags["consentkit.purpose"].Should().Be(ConsentPurposes.GenerativeAiTraining);
            p.Tags["consentkit.outcome"].Should().Be("allowed");
            p.Tags["consentkit.reason"].Should().Be("granted");
        });
        points[2].Tags["consentkit.reason"].Should().Be("no_record");
        points[2].Tags["consentkit.outcome"].Should().Be("denied");
        points[3].Tags["consentkit.purpose"].Should().Be("unknown", "caller-supplied purpose ids must not blow up tag cardinality");
        points[3].Tags["consentkit.reason"].Should().Be("unknown_purpose");
    }

    [Fact]
    public async Task UnknownPurpose_LogsAWarning_AndStoreFailure_LogsAnError()
    {
        var store = new FaultyStore { ReadFailure = new InvalidOperationException("down") };
        using var kit = new ConsentKitFixture(store: store, services: s => s.AddFakeLogging());
        var logs = kit.Provider.GetFakeLogCollector();

        await kit.CheckAsync("alice", "not-registered");
        await kit.CheckAsync("alice");

        logs.GetSnapshot().Should().Contain(r => r.Level == LogLevel.Warning && r.Id.Name == "UnknownPurpose");
        logs.GetSnapshot().Should().Contain(r => r.Level == LogLevel.Error && r.Id.Name == "StoreUnavailable" && r.Exception is InvalidOperationException);
    }

    [Fact]
    public async Task SubjectIds_NeverAppearInLogsAboveDebug()
    {
        const string subject = "subject-4f1c9e";
        var store = new FaultyStore();
        using var kit = new ConsentKitFixture(store: store, services: s => s.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug)).AddFakeLogging());
        var logs = kit.Provider.GetFakeLogCollector();

        await kit.GrantAsync(subject);
        await kit.CheckAsync(subject);
        await kit.WithdrawAsync(subject);
        await kit.CheckAsync(subject, "not-registered");
        store.ReadFailure = new InvalidOperationException("down");
        await kit.CheckAsync(subject);

        var all = logs.GetSnapshot();
        all.Should().Contain(r => r.Level == LogLevel.Debug && r.Message.Contains(subject), "the subject is logged at Debug");
        all.Where(r => r.Level > LogLevel.Debug).Should().NotContain(r => r.Message.Contains(subject));
    }
}
