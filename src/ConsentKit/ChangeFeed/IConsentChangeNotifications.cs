namespace ConsentKit;

/// <summary>
/// Implemented by a store that can tell, at once, that records may have been appended — by any process
/// (PostgreSQL: <c>LISTEN/NOTIFY</c>). Optional: it only shortens the change-feed follower's wait. The
/// follower still reads the feed by sequence, so a lost notification costs latency, never correctness.
/// </summary>
public interface IConsentChangeNotifications
{
    /// <summary>
    /// Listens until <paramref name="cancellationToken"/> is cancelled, calling <paramref name="onChange"/>
    /// whenever records may have been appended. Reconnects by itself after a failure and calls
    /// <paramref name="onChange"/> once it is listening again (notifications may have been missed meanwhile).
    /// </summary>
    /// <param name="onChange">Called on every notification; must return quickly.</param>
    /// <param name="cancellationToken">Stops listening.</param>
    Task ListenAsync(Action onChange, CancellationToken cancellationToken);
}
