using System.Net;
using FluentAssertions;
using Npgsql;

namespace ConsentKit.Samples.Tests;

/// <summary>
/// The web sample as two instances on one PostgreSQL database (the README's two-port story): a member
/// turns AI training on and off on instance A; the partner API on instance B follows at once.
/// </summary>
public sealed class PostgreSqlWebAppTests
{
    [Fact]
    public async Task TwoInstances_ASwitchFlippedOnA_TakesEffectOnB()
    {
        var connectionString = ConnectionString();
        var schema = "sample_" + Guid.NewGuid().ToString("N")[..12];
        using var a = OnPostgreSql(connectionString, schema);
        using var b = OnPostgreSql(connectionString, schema);
        try
        {
            var partnerOnB = b.CreatePartnerClient();
            var ada = await a.SignInAsync("ada");
            (await partnerOnB.GetAsync("/partner/users/ada/posts", TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.Forbidden);

            (await ada.PostAsync($"/api/consents/{ConsentPurposes.ThirdPartySharing}/grant", Notice(), TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK);
            (await ada.PostAsync($"/api/consents/{ConsentPurposes.GenerativeAiTraining}/grant", Notice(), TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK);
            await Eventually(async () => (await partnerOnB.GetAsync("/partner/users/ada/posts")).StatusCode == HttpStatusCode.OK, "B serves Ada's posts after she opted in on A");

            (await ada.PostAsync($"/api/consents/{ConsentPurposes.GenerativeAiTraining}/withdraw", Notice(), TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK);
            await Eventually(async () => (await partnerOnB.GetAsync("/partner/users/ada/posts")).StatusCode == HttpStatusCode.Forbidden, "B stops after she withdrew on A");
        }
        finally
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE;", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static WebAppFactory OnPostgreSql(string connectionString, string schema) =>
        new(settings: new Dictionary<string, string>
        {
            ["ConsentKit:Store"] = "postgresql",
            ["ConsentKit:PostgreSql:ConnectionString"] = connectionString,
            ["ConsentKit:PostgreSql:Schema"] = schema,
        });

    private static StringContent Notice() => new("""{"noticeVersion":"1"}""", System.Text.Encoding.UTF8, "application/json");

    private static string ConnectionString()
    {
        if (Environment.GetEnvironmentVariable("CONSENTKIT_TEST_POSTGRES") is { Length: > 0 } value)
        {
            return value;
        }

        const string how = "No PostgreSQL server: set CONSENTKIT_TEST_POSTGRES to a connection string, or run `bash .ci/run`, which starts one.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("Under CI=true the PostgreSQL tests must run. " + how);
        }

        Assert.Skip(how);
        return null!;
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), what);
            await Task.Delay(10);
        }
    }
}
