using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConsentKit.PostgreSql;

/// <summary>
/// Healthy when the server answers and the schema is the version this code expects. Register with
/// <c>services.AddHealthChecks().AddCheck&lt;PostgreSqlConsentStoreHealthCheck&gt;("consent-store")</c>.
/// </summary>
/// <param name="store">The store.</param>
public sealed class PostgreSqlConsentStoreHealthCheck(PostgreSqlConsentStore store) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            var version = await store.GetSchemaVersionAsync(cancellationToken);
            var data = new Dictionary<string, object> { ["schema"] = store.SchemaName, ["schemaVersion"] = version };
            return version == PostgreSqlSchema.LatestVersion
                ? HealthCheckResult.Healthy($"Consent store schema '{store.SchemaName}' is at version {version}.", data)
                : new HealthCheckResult(context.Registration.FailureStatus, $"Consent store schema '{store.SchemaName}' is at version {version}, expected {PostgreSqlSchema.LatestVersion}.", data: data);
        }
        catch (ConsentStoreException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, ex.Message, ex);
        }
    }
}
