namespace ConsentKit;

/// <summary>
/// Saves the catalog's notices (display name and text per purpose and version) to the store once per
/// process, before the first record is written under them; a failed save is tried again next time.
/// </summary>
internal sealed class ConsentNoticeKeeper(IConsentStore store, ConsentPurposeCatalog catalog, TimeProvider timeProvider)
{
    // One keeper per (catalog, store) — in an app, the start-up registration and the recorder share it,
    // so the notices are saved once, not twice.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ConsentPurposeCatalog, ConsentNoticeKeeper> Keepers = new();
    private Task? _saved;

    /// <summary>The keeper for this catalog and store.</summary>
    public static ConsentNoticeKeeper For(IConsentStore store, ConsentPurposeCatalog catalog, TimeProvider timeProvider)
    {
        var keeper = Keepers.GetValue(catalog, c => new ConsentNoticeKeeper(store, c, timeProvider));
        return ReferenceEquals(keeper.Store, store) ? keeper : new ConsentNoticeKeeper(store, catalog, timeProvider);
    }

    private IConsentStore Store => store;

    public Task EnsureSavedAsync(CancellationToken cancellationToken)
    {
        var saved = _saved;
        if (saved is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }

        if (saved is null || saved.IsFaulted || saved.IsCanceled)
        {
            // The save is shared by every caller, so no single caller's token may cancel it.
            var next = SaveAsync();
            saved = Interlocked.CompareExchange(ref _saved, next, saved) == saved ? next : _saved!;
        }

        return saved.WaitAsync(cancellationToken);
    }

    private async Task SaveAsync() =>
        await store.SaveNoticesAsync([.. catalog.Purposes.Select(ConsentNotice.For)], timeProvider.GetUtcNow(), CancellationToken.None);
}
