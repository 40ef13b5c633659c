using Xunit;

namespace ConsentKit.Testing;

/// <summary>
/// What the conformance suites share: the store under test, made for each test and released after it,
/// and ids that are the test's own.
/// </summary>
/// <remarks>
/// Every test names its subjects and data uses through <see cref="S"/>, so the suites pass on a new
/// store per test as well as on one database shared by a whole test class (one database per class,
/// not per test, for server stores): return a store over the shared database from
/// <see cref="CreateStoreAsync"/> and keep the database in an <c>IClassFixture</c>.
/// </remarks>
public abstract class StoreTestBase : IAsyncLifetime
{
    /// <summary>A fixed instant the suites' records are made at.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..10] + "-";
    private IConsentStore? _store;

    /// <summary>The store under test.</summary>
    protected IConsentStore Store => _store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    /// <summary>Makes the store under test: a new, empty one, or one over a database the test class shares.</summary>
    protected abstract ValueTask<IConsentStore> CreateStoreAsync();

    /// <summary>An id (of a subject or a data use) that belongs to this test alone: <paramref name="name"/> with a per-test prefix.</summary>
    /// <param name="name">The name the test uses, e.g. <c>alice</c>.</param>
    protected string S(string name) => _prefix + name;

    /// <summary>
    /// Makes the store fail every append of a record for <paramref name="subjectId"/> from now on (a
    /// database trigger, say), so the suites can check that a batch is all or none. Return
    /// <see langword="false"/> when the store offers no way to do that: the test is then skipped, saying why.
    /// </summary>
    /// <param name="subjectId">The subject whose appends must fail.</param>
    protected virtual ValueTask<bool> FailAppendsForAsync(string subjectId) => ValueTask.FromResult(false);

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
