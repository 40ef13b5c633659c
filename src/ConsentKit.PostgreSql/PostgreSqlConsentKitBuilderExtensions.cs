using ConsentKit;
using ConsentKit.PostgreSql;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL consent store.</summary>
public static class PostgreSqlConsentKitBuilderExtensions
{
    /// <summary>Keeps consent records in the PostgreSQL database named by <paramref name="connectionString"/>, in schema <c>consentkit</c>.</summary>
    /// <param name="builder">The ConsentKit builder.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    public static IConsentKitBuilder UsePostgreSqlStore(this IConsentKitBuilder builder, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UsePostgreSqlStore(o => o.ConnectionString = connectionString);
    }

    /// <summary>
    /// Keeps consent records in a PostgreSQL database. The schema is created or migrated when the host
    /// starts, and the change-feed follower (woken by <c>LISTEN/NOTIFY</c>) keeps this instance's gate in
    /// step with writes made by every other instance.
    /// </summary>
    /// <param name="builder">The ConsentKit builder.</param>
    /// <param name="configure">Configures the store.</param>
    public static IConsentKitBuilder UsePostgreSqlStore(this IConsentKitBuilder builder, Action<PostgreSqlConsentStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.AddPostgreSqlStore(configure, dataSource: null);
    }

    /// <summary>Keeps consent records in the database of an <see cref="NpgsqlDataSource"/> the app already has (it stays the app's to dispose).</summary>
    /// <param name="builder">The ConsentKit builder.</param>
    /// <param name="dataSource">Makes or finds the app's data source, e.g. <c>sp =&gt; sp.GetRequiredService&lt;NpgsqlDataSource&gt;()</c>.</param>
    /// <param name="configure">Configures the store (the connection string is not used).</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ by the data source argument's type (a factory or an instance), never by the optional configure: no call can become ambiguous.")]
    public static IConsentKitBuilder UsePostgreSqlStore(
        this IConsentKitBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, Action<PostgreSqlConsentStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.AddPostgreSqlStore(configure ?? (_ => { }), dataSource);
    }

    /// <summary>Keeps consent records in the database of an <see cref="NpgsqlDataSource"/> the app already has (it stays the app's to dispose).</summary>
    /// <param name="builder">The ConsentKit builder.</param>
    /// <param name="dataSource">The app's data source.</param>
    /// <param name="configure">Configures the store (the connection string is not used).</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ by the data source argument's type (a factory or an instance), never by the optional configure: no call can become ambiguous.")]
    public static IConsentKitBuilder UsePostgreSqlStore(this IConsentKitBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlConsentStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.UsePostgreSqlStore(_ => dataSource, configure);
    }

    private static IConsentKitBuilder AddPostgreSqlStore(
        this IConsentKitBuilder builder, Action<PostgreSqlConsentStoreOptions> configure, Func<IServiceProvider, NpgsqlDataSource>? dataSource)
    {
        var services = builder.Services;
        services.AddOptions<PostgreSqlConsentStoreOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlConsentStoreOptions>>(new PostgreSqlConsentStoreOptionsValidator(dataSource is not null)));
        services.TryAddSingleton(sp => new PostgreSqlConsentStore(dataSource?.Invoke(sp), sp.GetRequiredService<IOptions<PostgreSqlConsentStoreOptions>>().Value)
        {
            Logger = sp.GetService<ILoggerFactory>()?.CreateLogger<PostgreSqlConsentStore>() ?? (ILogger)Logging.Abstractions.NullLogger.Instance,
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgreSqlConsentStoreInitializer>());
        builder.AddChangeFeedFollower();
        builder.UseDataUseLedger(sp => sp.GetRequiredService<PostgreSqlConsentStore>());
        builder.UseLineageStore(sp => sp.GetRequiredService<PostgreSqlConsentStore>());
        builder.UseRelayStore(sp => sp.GetRequiredService<PostgreSqlConsentStore>());
        return builder.UseStore(sp => sp.GetRequiredService<PostgreSqlConsentStore>());
    }
}

/// <summary>Creates or migrates the schema when the host starts, so a wrong connection string stops the app at once.</summary>
internal sealed class PostgreSqlConsentStoreInitializer(PostgreSqlConsentStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken).AsTask();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
