namespace ConsentKit.Relay;

/// <summary>
/// The app's own change observers and withdrawal-impact handlers as a relay subscription: called at least once for
/// every change, by the instance that holds the lease, with the impact the relay computed. A handler that fails has the
/// whole change retried (every observer and handler again): they must tolerate being called twice.
/// </summary>
internal sealed class InProcessTransport(IEnumerable<IConsentChangeObserver> observers, IEnumerable<IWithdrawalImpactHandler> handlers) : IConsentChangeTransport
{
    // The core's own observer only forwards to the impact handlers, which the relay calls itself with its impact.
    private readonly IReadOnlyList<IConsentChangeObserver> _observers = ConsentObserverRelay.AppObservers(observers);
    private readonly IWithdrawalImpactHandler[] _handlers = [.. handlers];

    public bool IsEmpty => _observers.Count == 0 && _handlers.Length == 0;

    public async ValueTask DeliverAsync(ConsentChange change, CancellationToken cancellationToken)
    {
        foreach (var observer in _observers)
        {
            await observer.OnRecordedAsync(change.Record, cancellationToken);
        }

        if (change.AffectedDataUses.Count > 0)
        {
            var impact = new WithdrawalImpact { Record = change.Record, AffectedDataUses = change.AffectedDataUses };
            foreach (var handler in _handlers)
            {
                await handler.OnWithdrawalAsync(impact, cancellationToken);
            }
        }
    }
}
