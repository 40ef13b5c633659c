using Xunit;

namespace ConsentKit.Testing;

/// <summary>
/// What the conformance suites share: a new, empty store for each test, released after it.
/// </summary>
public abstract class StoreTestBase : IAsyncLifetime
{
    /// <summary>A fixed instant the suites' records are made at.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private IConsentStore? _store;

    /// <summary>The store under test, new and empty for each test.</summary>
    protected IConsentStore Store => _store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    /// <summary>Creates a new, empty store.</summary>
    protected abstract ValueTask<IConsentStore> CreateStoreAsync();

    /// <summary>Releases the store; by default disposes it if it is disposable. Override to release more (a temp folder, a database).</summary>
    /// <param name="store">The store.</param>
    protected virtual async ValueTask DisposeStoreAsync(IConsentStore store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <inheritdoc />
    public async ValueTask InitializeAsync() => _store = await CreateStoreAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await DisposeStoreAsync(_store);
        }

        GC.SuppressFinalize(this);
    }
}
