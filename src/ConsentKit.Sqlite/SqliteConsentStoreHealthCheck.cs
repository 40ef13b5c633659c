using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConsentKit.Sqlite;

/// <summary>
/// Healthy when the database file opens and its schema is the version this code expects. Register with
/// <c>services.AddHealthChecks().AddCheck&lt;SqliteConsentStoreHealthCheck&gt;("consent-store")</c>.
/// </summary>
/// <param name="store">The store.</param>
public sealed class SqliteConsentStoreHealthCheck(SqliteConsentStore store) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            var version = await store.GetSchemaVersionAsync(cancellationToken);
            var data = new Dictionary<string, object> { ["file"] = store.Location, ["schemaVersion"] = version };
            return version == SqliteSchema.LatestVersion
                ? HealthCheckResult.Healthy($"Consent database '{store.Location}' is at schema version {version}.", data)
                : new HealthCheckResult(context.Registration.FailureStatus, $"Consent database '{store.Location}' is at schema version {version}, expected {SqliteSchema.LatestVersion}.", data: data);
        }
        catch (ConsentStoreException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, ex.Message, ex);
        }
    }
}
