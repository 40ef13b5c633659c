using ConsentKit;
using ConsentKit.Import;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="IConsentImporter"/>.</summary>
public static class ConsentImportBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="IConsentImporter"/>, which loads another consent platform's export (CSV or JSON Lines) into the
    /// store. Options are checked at start (<see cref="ConsentImportOptions"/>).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Column mapping, batch size, default source.</param>
    public static IConsentKitBuilder AddConsentImport(this IConsentKitBuilder builder, Action<ConsentImportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<ConsentImportOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsentImportOptions>, ConsentImportOptionsValidator>());
        builder.Services.TryAddSingleton<IConsentImporter, ConsentImporter>();
        return builder;
    }
}
