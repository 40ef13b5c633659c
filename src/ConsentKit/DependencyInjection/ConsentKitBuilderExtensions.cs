using ConsentKit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Purposes, stores and observers for <see cref="IConsentKitBuilder"/>.</summary>
public static class ConsentKitBuilderExtensions
{
    /// <summary>Registers a purpose. Checked when the app starts: a bad id, a duplicate or a missing parent stops the app.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="purpose">The purpose.</param>
    public static IConsentKitBuilder AddPurpose(this IConsentKitBuilder builder, ConsentPurpose purpose)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(purpose);
        builder.Services.Configure<ConsentKitOptions>(o => o.Purposes.Add(purpose));
        return builder;
    }

    /// <summary>Registers a purpose.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="id">The purpose id, e.g. <c>ai-training.generative</c>.</param>
    /// <param name="displayName">The short name people see.</param>
    /// <param name="description">The notice text people agree to.</param>
    /// <param name="noticeVersion">The notice version.</param>
    /// <param name="lifetime">How long a grant stays valid; <see langword="null"/> for no expiry.</param>
    /// <param name="coveredByParent">Whether a grant of the parent also covers this purpose.</param>
    public static IConsentKitBuilder AddPurpose(
        this IConsentKitBuilder builder, string id, string displayName, string description, string noticeVersion, TimeSpan? lifetime = null, bool coveredByParent = false) =>
        builder.AddPurpose(new ConsentPurpose(id, displayName, description, noticeVersion) { Lifetime = lifetime, CoveredByParent = coveredByParent });

    /// <summary>Registers every purpose in <see cref="ConsentPurposes.Standard"/> with its default notice text.</summary>
    /// <param name="builder">The builder.</param>
    public static IConsentKitBuilder AddStandardPurposes(this IConsentKitBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var purpose in ConsentPurposes.Standard)
        {
            builder.AddPurpose(purpose);
        }

        return builder;
    }

    /// <summary>Keeps consent records in process memory: for tests and demos, nothing survives a restart.</summary>
    /// <param name="builder">The builder.</param>
    public static IConsentKitBuilder UseInMemoryStore(this IConsentKitBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<InMemoryConsentStore>();
        builder.UseDataUseLedger(sp => sp.GetRequiredService<InMemoryConsentStore>());
        builder.UseLineageStore(sp => sp.GetRequiredService<InMemoryConsentStore>());
        builder.UseRelayStore(sp => sp.GetRequiredService<InMemoryConsentStore>());
        return builder.UseStore(sp => sp.GetRequiredService<InMemoryConsentStore>());
    }

    /// <summary>
    /// Uses <typeparamref name="TStore"/> as the consent store, replacing any store registered before;
    /// when it also implements <see cref="IDataUseLedger"/>, it keeps the ledger too.
    /// </summary>
    /// <typeparam name="TStore">The store type, registered as a singleton.</typeparam>
    /// <param name="builder">The builder.</param>
    public static IConsentKitBuilder UseStore<TStore>(this IConsentKitBuilder builder)
        where TStore : class, IConsentStore
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TStore>();
        if (typeof(IDataUseLedger).IsAssignableFrom(typeof(TStore)))
        {
            builder.UseDataUseLedger(sp => (IDataUseLedger)sp.GetRequiredService<TStore>());
        }

        if (typeof(ConsentKit.Storage.ILineageStore).IsAssignableFrom(typeof(TStore)))
        {
            builder.UseLineageStore(sp => (ConsentKit.Storage.ILineageStore)sp.GetRequiredService<TStore>());
        }

        if (typeof(ConsentKit.Storage.IConsentRelayStore).IsAssignableFrom(typeof(TStore)))
        {
            builder.UseRelayStore(sp => (ConsentKit.Storage.IConsentRelayStore)sp.GetRequiredService<TStore>());
        }

        return builder.UseStore(sp => sp.GetRequiredService<TStore>());
    }

    /// <summary>
    /// Uses the data-use ledger <paramref name="factory"/> makes, replacing any registered before. Store
    /// extensions (<c>UseSqliteStore</c>, <c>UsePostgreSqlStore</c>, <see cref="UseInMemoryStore"/>) call it
    /// for their own ledger; call it yourself with <see cref="UseStore(IConsentKitBuilder, Func{IServiceProvider, IConsentStore})"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Makes the ledger (called once).</param>
    public static IConsentKitBuilder UseDataUseLedger(this IConsentKitBuilder builder, Func<IServiceProvider, IDataUseLedger> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(sp => OpenLineageBuilderExtensions.Ledger(sp, factory(sp))));
        return builder;
    }

    /// <summary>
    /// Uses the relay store <paramref name="factory"/> makes (where ConsentKit.Relay keeps its positions, leases and
    /// dead letters), replacing any registered before. The store extensions call it for their own.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Makes the relay store (called once).</param>
    public static IConsentKitBuilder UseRelayStore(this IConsentKitBuilder builder, Func<IServiceProvider, ConsentKit.Storage.IConsentRelayStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }

    /// <summary>
    /// Runs the change-feed follower: a hosted service that reads the store's change feed and tells the
    /// gate's cache of every write, including those made by other instances and processes. The SQLite
    /// and PostgreSQL stores add it themselves; call it again to configure it.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the follower.</param>
    public static IConsentKitBuilder AddChangeFeedFollower(this IConsentKitBuilder builder, Action<ConsentChangeFeedOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ConsentChangeFeedOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsentChangeFeedOptions>, ConsentChangeFeedOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (!services.Any(d => d.ServiceType == typeof(ConsentChangeFeedFollower)))
        {
            services.AddSingleton(sp => new ConsentChangeFeedFollower(
                sp.GetRequiredService<IConsentStore>(),
                sp.GetRequiredService<IConsentCacheInvalidator>(),
                sp.GetRequiredService<ConsentChangeFeedState>(),
                sp.GetRequiredService<IOptions<ConsentChangeFeedOptions>>(),
                sp.GetRequiredService<IOptions<ConsentKitOptions>>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILogger<ConsentChangeFeedFollower>>(),
                sp.GetRequiredService<ConsentIntegrityMonitor>()));
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ConsentChangeFeedFollower>());
        }

        return builder;
    }

    /// <summary>
    /// Verifies the whole history in the background every <see cref="ConsentHistoryVerificationOptions.Interval"/>
    /// against the anchor's latest head (<see cref="UseHeadAnchor"/>), and anchors each new head. A failed
    /// verification turns the stores' health checks Unhealthy and makes the gate deny every check until a
    /// verification passes again (docs/history-proof.md).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the interval and the keys.</param>
    public static IConsentKitBuilder AddHistoryVerification(this IConsentKitBuilder builder, Action<ConsentHistoryVerificationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ConsentHistoryVerificationOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsentHistoryVerificationOptions>, ConsentHistoryVerificationOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (!services.Any(d => d.ServiceType == typeof(ConsentHistoryVerificationService)))
        {
            services.AddSingleton(sp => new ConsentHistoryVerificationService(
                sp.GetRequiredService<ConsentHistoryVerifier>(),
                sp.GetRequiredService<ConsentIntegrityMonitor>(),
                sp.GetRequiredService<IOptions<ConsentHistoryVerificationOptions>>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<IConsentHeadAnchor>(),
                sp.GetService<ILogger<ConsentHistoryVerificationService>>()));
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ConsentHistoryVerificationService>());
        }

        return builder;
    }

    /// <summary>Keeps verified heads in <paramref name="anchor"/>, outside the database, replacing any anchor registered before.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="anchor">The anchor.</param>
    public static IConsentKitBuilder UseHeadAnchor(this IConsentKitBuilder builder, IConsentHeadAnchor anchor)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(anchor);
        builder.Services.Replace(ServiceDescriptor.Singleton(anchor));
        return builder;
    }

    /// <summary>
    /// Keeps verified heads as write-once files in <paramref name="directory"/> (<see cref="DirectoryConsentHeadAnchor"/>).
    /// It anchors only if the database's users cannot write there: another machine, a read-only mount for them,
    /// or a bucket with a retention lock (docs/scaling.md).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="directory">The directory.</param>
    public static IConsentKitBuilder UseHeadAnchorDirectory(this IConsentKitBuilder builder, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return builder.UseHeadAnchor(new DirectoryConsentHeadAnchor(directory));
    }

    /// <summary>Uses the store <paramref name="factory"/> makes, replacing any store registered before.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Makes the store (called once).</param>
    public static IConsentKitBuilder UseStore(this IConsentKitBuilder builder, Func<IServiceProvider, IConsentStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }

    /// <summary>Calls <typeparamref name="THandler"/> when a withdrawal affects data uses that already hold the subject's data.</summary>
    /// <typeparam name="THandler">The handler type, registered as a singleton.</typeparam>
    /// <param name="builder">The builder.</param>
    public static IConsentKitBuilder AddWithdrawalImpactHandler<THandler>(this IConsentKitBuilder builder)
        where THandler : class, IWithdrawalImpactHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IWithdrawalImpactHandler, THandler>());
        return builder;
    }

    /// <summary>
    /// Hands the change observers and withdrawal-impact handlers to a relay (<see cref="ConsentObserverRelay"/>): the
    /// recorder stops calling them. ConsentKit.Relay's <c>AddConsentRelay</c> calls it.
    /// </summary>
    /// <param name="builder">The builder.</param>
    public static IConsentKitBuilder RelayObservers(this IConsentKitBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(_ => new ConsentObserverRelay());
        return builder;
    }

    /// <summary>Tells <typeparamref name="TObserver"/> about every appended record.</summary>
    /// <typeparam name="TObserver">The observer type, registered as a singleton.</typeparam>
    /// <param name="builder">The builder.</param>
    public static IConsentKitBuilder AddChangeObserver<TObserver>(this IConsentKitBuilder builder)
        where TObserver : class, IConsentChangeObserver
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IConsentChangeObserver, TObserver>());
        return builder;
    }
}
