using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ConsentKit.PostgreSql.Tests;

public sealed class OptionsAndRegistrationTests(SchemaFixture schema) : IClassFixture<SchemaFixture>
{
    [Fact]
    public void BadOptions_AreRefused_ListingEveryProblem()
    {
        var act = () => new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = " ", SchemaName = "Consent-Kit", BulkReadChunkSize = 0 });

        act.Should().Throw<ArgumentException>().Which.Message
            .Should().Contain("ConnectionString is required").And.Contain("SchemaName 'Consent-Kit'").And.Contain("BulkReadChunkSize");
    }

    [Fact]
    public async Task BadOptions_StopTheAppAtStart_ListingEveryProblem()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit().AddStandardPurposes().UsePostgreSqlStore(o =>
        {
            o.ConnectionString = "Host=;Port=notanumber";
            o.SchemaName = "x; DROP TABLE y";
        });
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.Should().HaveCount(2)
            .And.Contain(f => f.Contains("ConnectionString", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("SchemaName", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnreachableServer_StopsTheAppAtStart_SayingSo()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddConsentKit().AddStandardPurposes().UsePostgreSqlStore("Host=127.0.0.1;Port=1;Username=postgres;Timeout=2");
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await act.Should().ThrowAsync<ConsentStoreException>()).Which.Message.Should().Contain("cannot be reached");
    }

    [Fact]
    public async Task AnExistingDataSource_IsUsed_AndStaysTheApps()
    {
        await using var dataSource = NpgsqlDataSource.Create(TestServer.ConnectionString);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddConsentKit().AddStandardPurposes()
            .UsePostgreSqlStore(sp => sp.GetRequiredService<NpgsqlDataSource>(), o => o.SchemaName = schema.Schema);
        using (var host = builder.Build())
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            var recorder = host.Services.GetRequiredService<IConsentRecorder>();
            await recorder.GrantAsync("ds-user", ConsentPurposes.Analytics, ConsentEvidence.FromUserInterface("1"), TestContext.Current.CancellationToken);
            (await host.Services.GetRequiredService<IConsentGate>().CheckAsync("ds-user", ConsentPurposes.Analytics, TestContext.Current.CancellationToken)).IsAllowed.Should().BeTrue();
            host.Services.GetRequiredService<IDataUseLedger>().Should().BeSameAs(host.Services.GetRequiredService<PostgreSqlConsentStore>());
            await host.StopAsync(TestContext.Current.CancellationToken);
        }

        await using var command = dataSource.CreateCommand("SELECT 1;");
        (await command.ExecuteScalarAsync(TestContext.Current.CancellationToken)).Should().Be(1, "the app's data source must outlive ConsentKit's host");
    }

    [Fact]
    public async Task TheHealthCheck_IsHealthyOnAMigratedSchema_AndUnhealthyWhenTheServerIsUnreachable()
    {
        await using var good = schema.CreateStore();
        await good.InitializeAsync(TestContext.Current.CancellationToken);
        await using var bad = new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = "Host=127.0.0.1;Port=1;Timeout=2" });
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration("consent-store", _ => null!, HealthStatus.Unhealthy, null) };

        var healthy = await new PostgreSqlConsentStoreHealthCheck(good).CheckHealthAsync(context, TestContext.Current.CancellationToken);
        var unhealthy = await new PostgreSqlConsentStoreHealthCheck(bad).CheckHealthAsync(context, TestContext.Current.CancellationToken);

        healthy.Status.Should().Be(HealthStatus.Healthy);
        healthy.Data["schemaVersion"].Should().Be(PostgreSqlSchema.LatestVersion);
        unhealthy.Status.Should().Be(HealthStatus.Unhealthy);
        unhealthy.Description.Should().Contain("cannot be reached");
    }
}
