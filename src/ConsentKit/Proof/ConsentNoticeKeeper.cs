namespace ConsentKit;

/// <summary>
/// Saves the catalog's notices (display name and text per purpose and version) to the store once per
/// process, before the first record is written under them; a failed save is tried again next time.
/// </summary>
internal sealed class ConsentNoticeKeeper(IConsentStore store, ConsentPurposeCatalog catalog, TimeProvider timeProvider)
{
    private Task? _saved;

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
