namespace ConsentKit.Storage;

/// <summary>
/// Every (subject, purpose) pair's current record for a few purposes, read at one consistent moment: what
/// <see cref="IConsentStore.ScanCurrentAsync"/> returns.
/// </summary>
/// <remarks>
/// For pipelines that touch a large share of all subjects: one sequential read of the purposes' current
/// state costs less than a lookup per subject. A store may leave out the records'
/// <see cref="NewConsentRecord.Metadata"/> and <see cref="ConsentRecord.NoticeDigest"/> (a scan is for deciding,
/// not for display or proof); erased subjects are absent.
/// </remarks>
public sealed class ConsentPurposeScan
{
    /// <summary>
    /// The moment the scan was read at: the highest sequence appended when it was read. Every record in
    /// <see cref="Records"/> has a sequence at or below it, and each is its pair's last record up to it.
    /// </summary>
    public required long Watermark { get; init; }

    /// <summary>The current records, one per (subject, purpose) pair that has any, in no particular order.</summary>
    public required IReadOnlyList<ConsentRecord> Records { get; init; }
}
