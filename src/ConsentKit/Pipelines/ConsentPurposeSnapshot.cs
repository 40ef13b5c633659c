namespace ConsentKit;

/// <summary>
/// One purpose's decisions for every subject, kept between consent-filtered runs
/// (<see cref="ConsentFilterOptions.KeptSnapshot"/>): the first run reads the purpose's current state
/// whole, and every later run first brings it up to the store's latest sequence from the change feed,
/// deciding again only the subjects whose consent changed. For a job that filters many partitions, files or
/// batches for one purpose in one process. Made by <see cref="ConsentFilter.KeepSnapshot"/>.
/// </summary>
/// <remarks>
/// <para>
/// Every run sees every change recorded before it started, exactly as a run that reads its own snapshot:
/// the run's <see cref="ConsentFilterReport.SnapshotWatermark"/> is the sequence it was brought up to. A
/// run never sees changes made while it is going (neither does a snapshot of its own).
/// </para>
/// <para>
/// It is read whole again, instead of catching up, when that is cheaper or catching up would not be right:
/// more changed subjects than an eighth of those it holds, an erased subject among the changes, or a decision
/// it holds reaching its horizon (a grant's expiry, by record or by the purpose's lifetime). It holds a slot, a decision and the deciding record per subject with
/// a record for the purpose (≈ 100 bytes each, plus the records), for as long as it is referenced.
/// </para>
/// <para>Safe to share between concurrent runs: each run works on its own copy of the decisions.</para>
/// </remarks>
public sealed class ConsentPurposeSnapshot
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private ConsentPurposeDecisions? _kept;
    private long _watermark;

    internal ConsentPurposeSnapshot(ConsentPurposeReader reader, string purposeId)
    {
        Reader = reader;
        PurposeId = purposeId;
    }

    /// <summary>The purpose decided.</summary>
    public string PurposeId { get; }

    /// <summary>The store sequence the kept decisions are at; <c>0</c> before the first run.</summary>
    public long Watermark => Interlocked.Read(ref _watermark);

    /// <summary>How many times the purpose's state has been read whole (the first run, and each read-again).</summary>
    internal int FullReads { get; private set; }

    internal ConsentPurposeReader Reader { get; }

    /// <summary>The decisions for one run, brought up to date first; a set saying so when the store could not be read.</summary>
    internal async ValueTask<ConsentPurposeDecisions> ForRunAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_kept is not null)
            {
                switch (await Reader.CatchUpAsync(_kept, cancellationToken))
                {
                    case ConsentCatchUp.Current:
                        return Publish(_kept);
                    case ConsentCatchUp.StoreUnavailable:
                        return new ConsentPurposeDecisions(PurposeId, 0, default, ConsentDecisionReason.StoreUnavailable);
                }
            }

            var read = await Reader.DecideAllAsync(PurposeId, cancellationToken);
            if (read.StoreUnavailable)
            {
                // The kept set stays as it was: the next run tries again from there.
                return read;
            }

            FullReads++;
            _kept = read;
            return Publish(read);
        }
        finally
        {
            _lock.Release();
        }
    }

    private ConsentPurposeDecisions Publish(ConsentPurposeDecisions kept)
    {
        Interlocked.Exchange(ref _watermark, kept.Watermark);
        return kept.CopyForRun();
    }
}
