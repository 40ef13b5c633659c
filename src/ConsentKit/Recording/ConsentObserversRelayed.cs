namespace ConsentKit;

/// <summary>
/// Registered by ConsentKit.Relay: the change observers and withdrawal-impact handlers are called by the relay (at
/// least once, from the change feed) instead of by the recorder after its write (at most once, in its process). The
/// recorder tells it of each write it makes, so a relay in the same process starts delivering at once.
/// </summary>
internal sealed class ConsentObserversRelayed
{
    private Action? _onAppended;

    /// <summary>Called after each write the recorder makes in this process; must return at once.</summary>
    public void OnAppended(Action wake) => _onAppended += wake;

    public void Appended() => _onAppended?.Invoke();
}
