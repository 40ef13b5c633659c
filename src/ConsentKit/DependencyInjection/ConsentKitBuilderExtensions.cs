using ConsentKit;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        return builder.UseStore(sp => sp.GetRequiredService<InMemoryConsentStore>());
    }

    /// <summary>Uses <typeparamref name="TStore"/> as the consent store, replacing any store registered before.</summary>
    /// <typeparam name="TStore">The store type, registered as a singleton.</typeparam>
    /// <param name="builder">The builder.</param>
    public static IConsentKitBuilder UseStore<TStore>(this IConsentKitBuilder builder)
        where TStore : class, IConsentStore
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TStore>();
        return builder.UseStore(sp => sp.GetRequiredService<TStore>());
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
