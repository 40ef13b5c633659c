namespace ConsentKit.Storage;

/// <summary>
/// A store's purpose-wide scan as a stream, for snapshots of millions of subjects: the same records as
/// <see cref="IConsentStore.ScanCurrentAsync"/>, read at one consistent moment, but handed out as they are read and
/// grouped by subject, so the reader's memory does not grow with the number of subjects.
/// </summary>
/// <remarks>
/// Optional: a store that does not implement it is scanned with <see cref="IConsentStore.ScanCurrentAsync"/>, whose
/// records are then grouped in memory. ConsentKit.PostgreSql implements it.
/// </remarks>
public interface IConsentStreamingScan
{
    /// <summary>Opens the scan: its watermark is fixed now, its records are read as the caller enumerates them.</summary>
    /// <param name="purposeIds">The purposes, typically one and its ancestors; duplicates are allowed.</param>
    /// <param name="cancellationToken">Cancels opening the scan.</param>
    /// <exception cref="ArgumentException"><paramref name="purposeIds"/> is empty or holds a <see langword="null"/>.</exception>
    ValueTask<ConsentPurposeScanStream> OpenCurrentScanAsync(IReadOnlyCollection<string> purposeIds, CancellationToken cancellationToken = default);
}

/// <summary>An open purpose-wide scan (<see cref="IConsentStreamingScan"/>): enumerate <see cref="Records"/> once, then dispose.</summary>
public sealed class ConsentPurposeScanStream : IAsyncDisposable
{
    private readonly Func<ValueTask>? _dispose;

    /// <summary>Creates the stream.</summary>
    /// <param name="watermark">The moment the scan reads at (see <see cref="ConsentPurposeScan.Watermark"/>).</param>
    /// <param name="records">The records, every record of one subject next to the others.</param>
    /// <param name="dispose">Releases what the scan holds (a connection, a transaction).</param>
    public ConsentPurposeScanStream(long watermark, IAsyncEnumerable<ConsentRecord> records, Func<ValueTask>? dispose = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(watermark);
        ArgumentNullException.ThrowIfNull(records);
        Watermark = watermark;
        Records = records;
        _dispose = dispose;
    }

    /// <summary>The highest sequence appended when the scan was opened; every record is its pair's last up to it.</summary>
    public long Watermark { get; }

    /// <summary>Each (subject, purpose) pair's current record, grouped by subject (in the store's order), enumerable once.</summary>
    public IAsyncEnumerable<ConsentRecord> Records { get; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dispose?.Invoke() ?? ValueTask.CompletedTask;
}
