using ConsentKit;
using ConsentKit.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite consent store.</summary>
public static class SqliteConsentKitBuilderExtensions
{
    /// <summary>Keeps consent records in the SQLite file named by <paramref name="connectionString"/>.</summary>
    /// <param name="builder">The ConsentKit builder.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=consent.db</c>.</param>
    public static IConsentKitBuilder UseSqliteStore(this IConsentKitBuilder builder, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseSqliteStore(o => o.ConnectionString = connectionString);
    }

    /// <summary>Keeps consent records in a SQLite file. The schema is created or migrated when the host starts.</summary>
    /// <param name="builder">The ConsentKit builder.</param>
    /// <param name="configure">Configures the store.</param>
    public static IConsentKitBuilder UseSqliteStore(this IConsentKitBuilder builder, Action<SqliteConsentStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<SqliteConsentStoreOptions>().Configure(configure).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteConsentStoreOptions>, SqliteConsentStoreOptionsValidator>());
        builder.Services.TryAddSingleton(sp => new SqliteConsentStore(sp.GetRequiredService<IOptions<SqliteConsentStoreOptions>>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SqliteConsentStoreInitializer>());

        // Other processes (a training-set job, a second web instance) may write to the same file.
        builder.AddChangeFeedFollower();
        builder.UseDataUseLedger(sp => sp.GetRequiredService<SqliteConsentStore>());
        builder.UseLineageStore(sp => sp.GetRequiredService<SqliteConsentStore>());
        builder.UseRelayStore(sp => sp.GetRequiredService<SqliteConsentStore>());
        return builder.UseStore(sp => sp.GetRequiredService<SqliteConsentStore>());
    }
}

/// <summary>Creates or migrates the database when the host starts, so a bad path stops the app at once.</summary>
internal sealed class SqliteConsentStoreInitializer(SqliteConsentStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken).AsTask();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
