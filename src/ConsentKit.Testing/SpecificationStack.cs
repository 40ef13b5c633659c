using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Testing;

/// <summary>
/// What the whole-stack specification suites share: ConsentKit with the standard purposes and the store under
/// test, built as an app builds it, and ids that belong to one test (so a database shared by a class works).
/// </summary>
internal sealed class SpecificationStack(string prefix) : IAsyncDisposable
{
    private ServiceProvider? _provider;

    public IServiceProvider Services => _provider ?? throw new InvalidOperationException("The services are built in InitializeAsync.");

    public string Id(string name) => prefix + name;

    /// <summary>Builds the services: the standard purposes, the store <paramref name="addStore"/> registers, then <paramref name="configure"/>.</summary>
    public static ServiceProvider Build(Action<IConsentKitBuilder> addStore, Action<IConsentKitBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddConsentKit().AddStandardPurposes();
        addStore(builder);
        configure?.Invoke(builder);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public void Start(Action<IConsentKitBuilder> addStore) => _provider = Build(addStore);

    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}
