using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ConsentKit.Sqlite;

/// <summary>
/// Healthy when the database file opens and its schema is the version this code expects. Register with
/// <c>services.AddHealthChecks().AddCheck&lt;SqliteConsentStoreHealthCheck&gt;("consent-store")</c>.
/// </summary>
/// <remarks>
/// Unhealthy as well once a read in this process found the store changed outside ConsentKit (a record not
/// matching its hash, a registry row the proof log did not register), or the last verification of the
/// whole history (<c>AddHistoryVerification</c>) failed; it reports the last verified sequence and its age.
/// Degraded while a model owes someone past a deadline (<c>AddObligationsMonitor</c>).
/// </remarks>
/// <param name="store">The store.</param>
/// <param name="integrity">What this process has seen of the store's integrity (registered by <c>AddConsentKit</c>).</param>
/// <param name="timeProvider">The clock for the age of the last verification.</param>
/// <param name="obligations">The model obligations monitor (<c>AddObligationsMonitor</c>): Degraded while an obligation is overdue.</param>
public sealed class SqliteConsentStoreHealthCheck(SqliteConsentStore store, ConsentIntegrityMonitor? integrity = null, TimeProvider? timeProvider = null, ModelObligationsMonitor? obligations = null) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            var version = await store.GetSchemaVersionAsync(cancellationToken);
            var data = new Dictionary<string, object> { ["file"] = store.Location, ["schemaVersion"] = version };
            if (ConsentKit.Storage.IntegrityHealth.Problem(integrity, data, (timeProvider ?? TimeProvider.System).GetUtcNow()) is { } problem)
            {
                return new HealthCheckResult(HealthStatus.Unhealthy, problem, data: data);
            }

            if (version == SqliteSchema.LatestVersion && obligations?.Degradation() is { } owed)
            {
                data["overdueObligations"] = obligations.Last!.Overdue;
                return HealthCheckResult.Degraded(owed, data: data);
            }

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
