namespace ConsentKit;

/// <summary>Bounds one store call by <see cref="ConsentKitOptions.StoreTimeout"/>: the gate's reads and the change-feed follower's.</summary>
internal static class StoreTimeout
{
    public static async Task<T> CallAsync<T>(Func<CancellationToken, ValueTask<T>> call, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var limit = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit?.Token ?? CancellationToken.None);

        // WaitAsync also bounds a store that ignores its cancellation token (a stuck driver).
        return await call(linked.Token).AsTask().WaitAsync(linked.Token);
    }
}
