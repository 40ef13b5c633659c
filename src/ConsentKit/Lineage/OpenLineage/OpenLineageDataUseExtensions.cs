namespace ConsentKit.OpenLineage;

/// <summary>What a data use's OpenLineage events say about the consent snapshot it came from.</summary>
public static class OpenLineageDataUseExtensions
{
    /// <summary>
    /// Notes that <paramref name="dataUseId"/>'s members are (or were) decided from one consent snapshot, so its
    /// OpenLineage events carry the watermark (and the snapshot file's content hash). Call it before
    /// <see cref="IDataUseLedger.StartAsync"/> for the START event to carry them, or before the data use ends for
    /// its COMPLETE or FAIL. Does nothing when OpenLineage is not added.
    /// </summary>
    /// <param name="ledger">The data-use ledger from DI.</param>
    /// <param name="dataUseId">The data use.</param>
    /// <param name="watermark">The consent sequence the members were decided at.</param>
    /// <param name="contentSha256">The snapshot file's content hash (hex), when there is a file.</param>
    public static void NoteSnapshot(this IDataUseLedger ledger, string dataUseId, long watermark, string? contentSha256 = null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentException.ThrowIfNullOrEmpty(dataUseId);
        ArgumentOutOfRangeException.ThrowIfNegative(watermark);
        (ledger as OpenLineageDataUseLedger)?.NoteSnapshot(dataUseId, watermark, contentSha256);
    }
}
