using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ConsentKit.Sqlite.Tests;

public sealed class OptionsValidationTests
{
    [Fact]
    public async Task BadSqliteOptions_StopTheAppAtStart_ListingEveryProblem()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit().AddStandardPurposes().UseSqliteStore(o =>
        {
            o.ConnectionString = "Data Source=:memory:";
            o.BusyTimeout = TimeSpan.Zero;
            o.BulkReadChunkSize = -1;
        });
        using var host = builder.Build();

        var act = () => host.StartAsync(TestContext.Current.CancellationToken);

        var failures = (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Failures;
        failures.Should().HaveCount(3);
        failures.Should().Contain(f => f.Contains("in-memory database would lose every record", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("BusyTimeout", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("BulkReadChunkSize", StringComparison.Ordinal));
    }
}
