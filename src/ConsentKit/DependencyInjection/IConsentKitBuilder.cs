using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit;

/// <summary>Configures ConsentKit: purposes, the store and observers plug in as extension methods.</summary>
public interface IConsentKitBuilder
{
    /// <summary>The app's services.</summary>
    IServiceCollection Services { get; }
}

internal sealed class ConsentKitBuilder(IServiceCollection services) : IConsentKitBuilder
{
    public IServiceCollection Services { get; } = services;
}
