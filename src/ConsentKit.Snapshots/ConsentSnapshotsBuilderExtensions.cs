using ConsentKit;
using ConsentKit.Snapshots;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers consent snapshots.</summary>
public static class ConsentSnapshotsBuilderExtensions
{
    /// <summary>Adds <see cref="IConsentSnapshots"/> (needs a store that keeps the data-use ledger).</summary>
    /// <param name="builder">The ConsentKit builder.</param>
    public static IConsentKitBuilder AddSnapshots(this IConsentKitBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<IConsentSnapshots>(sp => new ConsentSnapshots(
            sp.GetRequiredService<IConsentPurposeReader>(),
            sp.GetRequiredService<ConsentPurposeCatalog>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IDataUseLedger>()));
        return builder;
    }
}
