namespace ConsentKit;

/// <summary>
/// Hands the app's <see cref="IConsentChangeObserver"/>s and <see cref="IWithdrawalImpactHandler"/>s to something that
/// calls them at least once from the change feed — ConsentKit.Relay — instead of the recorder calling them after its
/// write (at most once, in its process). Registered by <c>RelayObservers()</c>; while it is, the recorder calls no
/// observer and signals each write it makes instead.
/// </summary>
public sealed class ConsentObserverRelay
{
    private Action? _onAppended;

    internal ConsentObserverRelay()
    {
    }

    /// <summary>Calls <paramref name="wake"/> after each write the recorder makes in this process; it must return at once.</summary>
    /// <param name="wake">What to call.</param>
    public void OnAppended(Action wake)
    {
        ArgumentNullException.ThrowIfNull(wake);
        _onAppended += wake;
    }

    /// <summary>
    /// The app's own observers among <paramref name="registered"/>: all but the core's forwarder to the impact handlers,
    /// which a relay replaces by computing the impact and calling the handlers itself.
    /// </summary>
    /// <param name="registered">Every registered observer.</param>
    public static IReadOnlyList<IConsentChangeObserver> AppObservers(IEnumerable<IConsentChangeObserver> registered)
    {
        ArgumentNullException.ThrowIfNull(registered);
        return [.. registered.Where(o => o is not WithdrawalImpactObserver)];
    }

    internal void Appended() => _onAppended?.Invoke();
}
