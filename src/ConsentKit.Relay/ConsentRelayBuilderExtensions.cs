using ConsentKit;
using ConsentKit.Relay;
using ConsentKit.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The consent relay for <see cref="IConsentKitBuilder"/>.</summary>
public static class ConsentRelayBuilderExtensions
{
    /// <summary>The subscription that calls the app's <see cref="IConsentChangeObserver"/>s and <see cref="IWithdrawalImpactHandler"/>s.</summary>
    public const string InProcessSubscription = "in-process";

    /// <summary>
    /// Runs the consent relay: a hosted service that delivers every change of the store's change feed to each
    /// subscription at least once, in order per person, moving a position kept in the consent database only after the
    /// delivery, with retries, dead letters and one active instance per subscription (a lease). The app's change
    /// observers and withdrawal-impact handlers become its <c>in-process</c> subscription: from then on they are called
    /// by the relay — for every instance's writes, at least once — and no longer by the recorder.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the options and webhooks (also bound from configuration by the app, if it wishes).</param>
    public static IConsentKitBuilder AddConsentRelay(this IConsentKitBuilder builder, Action<ConsentRelayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<ConsentRelayOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsentRelayOptions>, ConsentRelayOptionsValidator>());
        services.TryAddSingleton(sp => new ConsentRelayMonitor(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<WebhookClients>();
        builder.RelayObservers();
        services.TryAddSingleton<IConsentRelay>(sp => new ConsentRelay(
            sp.GetService<IConsentRelayStore>() ?? throw new InvalidOperationException("The consent store keeps no relay state: use UseSqliteStore, UsePostgreSqlStore or UseInMemoryStore, or UseRelayStore."),
            sp.GetRequiredService<IConsentStore>(),
            sp.GetRequiredService<IOptions<ConsentRelayOptions>>(),
            sp.GetServices<ConsentRelaySubscription>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        builder.AddRelaySubscription(InProcessSubscription, sp => new InProcessTransport(sp.GetServices<IConsentChangeObserver>(), sp.GetServices<IWithdrawalImpactHandler>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConsentRelayService>());
        return builder;
    }

    /// <summary>Adds a webhook subscription: each change that passes the filter, POSTed as a signed CloudEvent (Standard Webhooks).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The subscription's name, e.g. <c>partner-sharing</c>.</param>
    /// <param name="url">The receiver.</param>
    /// <param name="secret">The shared secret (<c>whsec_…</c>, <see cref="WebhookSecret.Create"/>).</param>
    /// <param name="filter">Which purposes and statuses it receives (all when not set).</param>
    public static IConsentKitBuilder AddWebhook(this IConsentKitBuilder builder, string name, Uri url, string secret, Action<WebhookSubscriptionOptions>? filter = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<ConsentRelayOptions>(o =>
        {
            var webhook = new WebhookSubscriptionOptions { Url = url, Secret = secret };
            filter?.Invoke(webhook);
            o.Webhooks[name] = webhook;
        });
        return builder;
    }

    /// <summary>
    /// Adds a subscription delivered by <paramref name="transport"/> (a broker, a queue, your own code). Call
    /// <see cref="AddConsentRelay"/> too; names are checked at start.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The subscription's name.</param>
    /// <param name="transport">Makes the transport (called once, when the relay starts).</param>
    /// <param name="filter">Which changes it receives; all when <see langword="null"/>.</param>
    public static IConsentKitBuilder AddRelaySubscription(this IConsentKitBuilder builder, string name, Func<IServiceProvider, IConsentChangeTransport> transport, ConsentChangeFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(transport);
        if (!builder.Services.Any(d => d.ServiceType == typeof(ConsentRelaySubscription) && d.ImplementationInstance is ConsentRelaySubscription { } s && s.Name == name))
        {
            builder.Services.AddSingleton(new ConsentRelaySubscription(name, filter ?? ConsentChangeFilter.All, transport));
        }

        return builder;
    }
}
