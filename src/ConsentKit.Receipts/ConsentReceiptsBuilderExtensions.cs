using ConsentKit;
using ConsentKit.Receipts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers consent receipts, the subject export and the data-use audit.</summary>
public static class ConsentReceiptsBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="IConsentReceipts"/>, <see cref="IConsentSubjectExporter"/> and <see cref="IDataUseAuditor"/>,
    /// signing with <see cref="ConsentReceiptOptions.SigningKey"/>. The options are checked at start, every problem named.
    /// </summary>
    /// <param name="builder">The ConsentKit builder.</param>
    /// <param name="configure">Sets the controller's details and the signing key.</param>
    public static IConsentKitBuilder AddReceipts(this IConsentKitBuilder builder, Action<ConsentReceiptOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<ConsentReceiptOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsentReceiptOptions>, ConsentReceiptOptionsValidator>());
        services.TryAddSingleton<IConsentReceiptKeyProvider, OptionsConsentReceiptKeyProvider>();
        services.TryAddSingleton<ConsentReceiptService>();
        services.TryAddSingleton<IConsentReceipts>(sp => sp.GetRequiredService<ConsentReceiptService>());
        services.TryAddSingleton<IConsentSubjectExporter>(sp => new ConsentSubjectExporter(
            sp.GetRequiredService<IConsentReader>(), sp.GetRequiredService<ConsentReceiptService>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<IDataUseLedger>()));
        services.TryAddSingleton<IDataUseAuditor>(sp => new DataUseAuditor(
            sp.GetRequiredService<IConsentStore>(), sp.GetService<IDataUseLedger>(), sp.GetRequiredService<ConsentHistoryVerifier>(),
            sp.GetRequiredService<ConsentReceiptService>(), sp.GetRequiredService<IConsentPastDecisions>(), sp.GetRequiredService<TimeProvider>()));
        return builder;
    }
}
