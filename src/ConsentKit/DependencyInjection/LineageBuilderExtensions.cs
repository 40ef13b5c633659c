using ConsentKit;
using ConsentKit.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Model lineage for <see cref="IConsentKitBuilder"/>: the store that keeps it and what artifacts owe.</summary>
public static class LineageBuilderExtensions
{
    /// <summary>
    /// Uses the lineage store <paramref name="factory"/> makes, replacing any registered before. The store
    /// extensions (<c>UseSqliteStore</c>, <c>UsePostgreSqlStore</c>, <c>UseInMemoryStore</c>) call it for their own.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Makes the lineage store (called once).</param>
    public static IConsentKitBuilder UseLineageStore(this IConsentKitBuilder builder, Func<IServiceProvider, ILineageStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }

    /// <summary>
    /// Sets what artifacts owe the people who withdraw, per purpose (<see cref="ModelLineageOptions"/>). Checked at
    /// start: a policy for a purpose that is not registered stops the app, since it would never apply.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the policies.</param>
    public static IConsentKitBuilder ConfigureLineage(this IConsentKitBuilder builder, Action<ModelLineageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Checks every artifact's obligations every <see cref="ModelLineageOptions.CheckInterval"/> (a hosted service):
    /// the gauges <c>consentkit.lineage.obligations.owed</c> and <c>.overdue</c>, a warning log, and the store health
    /// checks turn Degraded while an obligation is overdue. Each round costs one gate check per member of every
    /// data use an artifact was built from (docs/performance.md): set the interval accordingly.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="interval">How often; default 1 hour.</param>
    public static IConsentKitBuilder AddObligationsMonitor(this IConsentKitBuilder builder, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (interval is { } every)
        {
            builder.Services.Configure<ModelLineageOptions>(o => o.CheckInterval = every);
        }

        builder.Services.TryAddSingleton(sp =>
        {
            var monitor = new ModelObligationsMonitor();
            sp.GetRequiredService<ConsentKitInstrumentation>().ObserveModelObligations(monitor);
            return monitor;
        });
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, ModelObligationsService>(sp => new ModelObligationsService(
            sp.GetRequiredService<IModelLineage>(),
            sp.GetRequiredService<ModelObligationsMonitor>(),
            sp.GetRequiredService<IOptions<ModelLineageOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Logging.ILogger<ModelObligationsService>>())));
        return builder;
    }

    /// <summary>Registers <see cref="IModelLineage"/> (called by <c>AddConsentKit</c>).</summary>
    internal static void AddModelLineage(IServiceCollection services)
    {
        services.AddOptions<ModelLineageOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelLineageOptions>, ModelLineageOptionsValidator>());
        services.TryAddSingleton<IModelLineage>(sp => new ModelLineage(
            sp.GetService<ILineageStore>() ?? throw new InvalidOperationException(
                "The consent store keeps no model lineage: use UseSqliteStore, UsePostgreSqlStore or UseInMemoryStore, or register an ILineageStore with UseLineageStore."),
            sp.GetService<IDataUseLedger>() ?? throw new InvalidOperationException("Model lineage needs the data-use ledger: the consent store registers none."),
            sp.GetRequiredService<IConsentStore>(),
            sp.GetRequiredService<IConsentGate>(),
            sp.GetRequiredService<ConsentPurposeCatalog>(),
            sp.GetRequiredService<IOptions<ModelLineageOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ConsentKit.OpenLineage.OpenLineageEmitter>()));
    }
}
