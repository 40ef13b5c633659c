namespace ConsentKit.Relay;

/// <summary>A subscription registered in code: a name, what it receives and how it is delivered.</summary>
/// <param name="Name">The name: its position, lease and dead letters are kept under it.</param>
/// <param name="Filter">Which changes it receives.</param>
/// <param name="Transport">Makes the transport (called once).</param>
public sealed record ConsentRelaySubscription(string Name, ConsentChangeFilter Filter, Func<IServiceProvider, IConsentChangeTransport> Transport);
