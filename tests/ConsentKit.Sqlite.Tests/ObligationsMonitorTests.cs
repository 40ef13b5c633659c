using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace ConsentKit.Sqlite.Tests;

/// <summary>AddObligationsMonitor: the gauges and the health check say what models owe, and turn when a deadline passes.</summary>
public sealed class ObligationsMonitorTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task AnObligationPastItsDeadline_ShowsInTheGauges_AndDegradesTheHealthCheck()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = Provider();
        using var owed = new MetricCollector<int>(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "ConsentKit", "consentkit.lineage.obligations.owed");
        using var overdue = new MetricCollector<int>(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "ConsentKit", "consentkit.lineage.obligations.overdue");
        var service = provider.GetServices<IHostedService>().OfType<ModelObligationsService>().Single();
        var recorder = provider.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        await recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        var run = new[] { "ada" }.WhereConsented(provider.GetRequiredService<ConsentFilter>(), a => a, ConsentPurposes.GenerativeAiTraining, new ConsentFilterOptions { DataUseId = "set-1", DataUseDescription = "posts" });
        await foreach (var _ in run.WithCancellation(ct))
        {
        }

        var lineage = provider.GetRequiredService<IModelLineage>();
        await lineage.RecordArtifactAsync(new NewArtifact { Id = "m1", Version = "1", Kind = ArtifactKinds.Model, Owner = "ml", BuiltAt = _time.GetUtcNow(), Inputs = [ArtifactInput.FromDataUse("set-1")] }, ct);
        await recorder.WithdrawAsync("ada", ConsentPurposes.GenerativeAiTraining, evidence, ct);

        await service.CheckOnceAsync(ct);
        owed.RecordObservableInstruments();
        overdue.RecordObservableInstruments();
        owed.LastMeasurement!.Value.Should().Be(1);
        overdue.LastMeasurement!.Value.Should().Be(0);
        (await HealthAsync(provider)).Status.Should().Be(HealthStatus.Healthy, "owed, but within the 30 days");

        _time.Advance(TimeSpan.FromDays(31));
        await service.CheckOnceAsync(ct);
        overdue.RecordObservableInstruments();
        var health = await HealthAsync(provider);

        overdue.LastMeasurement!.Value.Should().Be(1);
        health.Status.Should().Be(HealthStatus.Degraded);
        health.Description.Should().Contain("past their deadline").And.Contain("m1");
    }

    [Fact]
    public void AZeroCheckInterval_StopsTheAppAtStart()
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString).AddObligationsMonitor(TimeSpan.Zero);
        using var provider = services.BuildServiceProvider();

        var start = () => provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ModelLineageOptions>>().Value;

        start.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*CheckInterval must be positive*");
    }

    public void Dispose() => _database.Dispose();

    private ServiceProvider Provider()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(_time);
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString).AddObligationsMonitor();
        return services.BuildServiceProvider();
    }

    private static Task<HealthCheckResult> HealthAsync(IServiceProvider provider) =>
        ActivatorUtilities.CreateInstance<SqliteConsentStoreHealthCheck>(provider).CheckHealthAsync(
            new HealthCheckContext { Registration = new HealthCheckRegistration("consent-store", _ => null!, HealthStatus.Unhealthy, null) });
}
