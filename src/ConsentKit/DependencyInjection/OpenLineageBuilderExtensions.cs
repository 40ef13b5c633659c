using ConsentKit;
using ConsentKit.OpenLineage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>OpenLineage run events for <see cref="IConsentKitBuilder"/>: off unless added.</summary>
public static class OpenLineageBuilderExtensions
{
    /// <summary>
    /// Emits an OpenLineage 2-0-2 run event for every data use (START, then COMPLETE or FAIL) and every recorded
    /// artifact (a build run), each with the <c>consentkit_consent</c> run facet, to a JSON Lines file
    /// (<see cref="OpenLineageOptions.FilePath"/>) or an HTTP endpoint such as Marquez (<see cref="OpenLineageOptions.Endpoint"/>).
    /// The options are checked at start. Delivery is at most once: a transport failure is logged and counted,
    /// never turned into a failed write.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Says where events go.</param>
    public static IConsentKitBuilder AddOpenLineage(this IConsentKitBuilder builder, Action<OpenLineageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<OpenLineageOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OpenLineageOptions>, OpenLineageOptionsValidator>(
            sp => new OpenLineageOptionsValidator(customTransport: sp.GetService<CustomOpenLineageTransport>() is not null)));
        services.TryAddSingleton<IOpenLineageTransport>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<OpenLineageOptions>>().Value;
            return options.FilePath is { Length: > 0 } path
                ? new JsonLinesOpenLineageTransport(path)
                : new HttpOpenLineageTransport(options.Endpoint!, options.ApiKey, options.Timeout);
        });
        services.TryAddSingleton(sp => new OpenLineageEmitter(
            sp.GetRequiredService<IOpenLineageTransport>(),
            sp.GetRequiredService<IConsentStore>(),
            sp.GetRequiredService<IOptions<OpenLineageOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ConsentKitInstrumentation>(),
            sp.GetService<ILogger<OpenLineageEmitter>>()));
        services.TryAddSingleton<IOpenLineageEmitter>(sp => sp.GetRequiredService<OpenLineageEmitter>());
        return builder;
    }

    /// <summary>
    /// Sends OpenLineage events through <paramref name="factory"/>'s transport (Kafka, a queue, …) instead of a file or
    /// HTTP; call <see cref="AddOpenLineage"/> too, leaving <see cref="OpenLineageOptions.FilePath"/> and
    /// <see cref="OpenLineageOptions.Endpoint"/> unset.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Makes the transport (called once).</param>
    public static IConsentKitBuilder UseOpenLineageTransport(this IConsentKitBuilder builder, Func<IServiceProvider, IOpenLineageTransport> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        builder.Services.TryAddSingleton<CustomOpenLineageTransport>();
        return builder;
    }

    /// <summary>The store's ledger, reporting to OpenLineage when <see cref="AddOpenLineage"/> was called (in any order).</summary>
    internal static IDataUseLedger Ledger(IServiceProvider services, IDataUseLedger storeLedger) =>
        services.GetService<OpenLineageEmitter>() is { } emitter ? new OpenLineageDataUseLedger(storeLedger, emitter) : storeLedger;

    /// <summary>Marks that the app registered its own transport.</summary>
    private sealed class CustomOpenLineageTransport;
}
