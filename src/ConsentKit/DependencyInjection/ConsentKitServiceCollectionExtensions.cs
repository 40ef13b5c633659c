using ConsentKit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ConsentKit.</summary>
public static class ConsentKitServiceCollectionExtensions
{
    /// <summary>
    /// Adds the consent gate, the recorder and the purpose catalog. Calling it again is harmless and
    /// applies <paramref name="configure"/> as well.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder to register purposes and a store with.</returns>
    public static IConsentKitBuilder AddConsentKit(this IServiceCollection services, Action<ConsentKitOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddOptions<ConsentKitOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsentKitOptions>, ConsentKitOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ConsentKitInstrumentation(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(sp => new ConsentPurposeCatalog(sp.GetRequiredService<IOptions<ConsentKitOptions>>()));
        services.TryAddSingleton(sp => new ConsentIntegrityMonitor(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ConsentKitInstrumentation>()));
        services.TryAddSingleton(sp => new ConsentDecisionService(sp.GetRequiredService<ConsentPurposeCatalog>()));
        services.TryAddSingleton(sp => new ConsentChangeFeedState(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ConsentKitInstrumentation>(), sp.GetService<ILogger<ConsentChangeFeedState>>()));
        services.TryAddSingleton(sp => new ConsentGate(
            sp.GetRequiredService<IConsentStore>(),
            sp.GetRequiredService<ConsentPurposeCatalog>(),
            sp.GetRequiredService<IOptions<ConsentKitOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ConsentKitInstrumentation>(),
            sp.GetService<ILogger<ConsentGate>>(),
            sp.GetRequiredService<ConsentChangeFeedState>(),
            sp.GetRequiredService<ConsentDecisionService>(),
            sp.GetRequiredService<ConsentIntegrityMonitor>()));
        services.TryAddSingleton<IConsentGate>(sp => sp.GetRequiredService<ConsentGate>());
        services.TryAddSingleton<IConsentCacheInvalidator>(sp => sp.GetRequiredService<ConsentGate>());
        services.TryAddSingleton<IConsentSubjectState>(sp => sp.GetRequiredService<ConsentGate>());
        services.TryAddSingleton<IConsentRecorder, ConsentRecorder>();
        services.TryAddSingleton(sp => new ConsentPurposeReader(
            sp.GetRequiredService<IConsentStore>(),
            sp.GetRequiredService<ConsentDecisionService>(),
            sp.GetRequiredService<IOptions<ConsentKitOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<ConsentPurposeReader>>(),
            sp.GetRequiredService<ConsentIntegrityMonitor>()));
        services.TryAddSingleton<IConsentPurposeReader>(sp => sp.GetRequiredService<ConsentPurposeReader>());
        services.TryAddSingleton<IConsentPastDecisions>(sp => new ConsentPastDecisions(sp.GetRequiredService<ConsentPurposeCatalog>()));
        services.TryAddSingleton<IConsentReader>(sp => new ConsentReader(
            sp.GetRequiredService<IConsentGate>(),
            sp.GetRequiredService<IConsentStore>(),
            sp.GetRequiredService<ConsentPurposeCatalog>(),
            sp.GetRequiredService<IOptions<ConsentKitOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IDataUseLedger>()));
        services.TryAddSingleton(sp => new ConsentFilter(
            sp.GetRequiredService<IConsentGate>(),
            sp.GetService<IDataUseLedger>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<ConsentFilter>>(),
            sp.GetRequiredService<ConsentPurposeReader>()));
        services.TryAddSingleton(sp => new ConsentHistoryVerifier(sp.GetRequiredService<IConsentStore>(), sp.GetService<IDataUseLedger>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, ConsentNoticeRegistration>());
        LineageBuilderExtensions.AddModelLineage(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConsentChangeObserver, WithdrawalImpactObserver>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWithdrawalImpactHandler, LoggingWithdrawalImpactHandler>());
        return new ConsentKitBuilder(services);
    }
}
