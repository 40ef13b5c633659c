namespace ConsentKit;

/// <summary>
/// Registered by ConsentKit.Relay: the change observers and withdrawal-impact handlers are called by the relay (at
/// least once, from the change feed) instead of by the recorder after its write (at most once, in its process).
/// </summary>
internal sealed class ConsentObserversRelayed;
