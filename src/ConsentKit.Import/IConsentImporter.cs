namespace ConsentKit.Import;

/// <summary>
/// Loads consent given elsewhere (another consent platform's export) into the store: every row checked first, then
/// written in batches through the store's bulk path, each record linked into the store's hash chain like any other.
/// </summary>
/// <remarks>
/// <para>
/// <b>All or nothing per file for bad rows</b>: the whole file is read and checked before anything is written; one bad
/// row refuses the file (<see cref="ConsentImportException"/>, with line numbers). Then it is read again and written,
/// <see cref="ConsentImportOptions.BatchSize"/> records per transaction. A failure while writing leaves whole batches;
/// running the same file again skips them (<see cref="ConsentImportResult.Skipped"/>).
/// </para>
/// <para>
/// A grant must say the person gave it themselves (<c>method</c> <c>subject-user-interface</c> or
/// <c>subject-api-call</c>) under a notice the store keeps for that purpose; nothing else can become a grant.
/// A row never replaces a choice recorded at the same time or later.
/// </para>
/// </remarks>
public interface IConsentImporter
{
    /// <summary>Imports a file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">Its format; by default from its extension (<c>.csv</c>, <c>.jsonl</c> or <c>.ndjson</c>).</param>
    /// <param name="cancellationToken">Cancels the import between batches (the batches written stay).</param>
    /// <exception cref="ConsentImportException">A row cannot be imported; nothing was written.</exception>
    /// <exception cref="ArgumentException">The file does not exist, or its format cannot be told from its name.</exception>
    Task<ConsentImportResult> ImportFileAsync(string path, ConsentImportFormat? format = null, CancellationToken cancellationToken = default);

    /// <summary>Imports from a stream, which is read twice (check, then write), so it must be seekable.</summary>
    /// <param name="input">The file's content.</param>
    /// <param name="format">Its format.</param>
    /// <param name="cancellationToken">Cancels the import between batches (the batches written stay).</param>
    /// <exception cref="ConsentImportException">A row cannot be imported; nothing was written.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> cannot seek or read.</exception>
    Task<ConsentImportResult> ImportAsync(Stream input, ConsentImportFormat format, CancellationToken cancellationToken = default);
}
