using Microsoft.Extensions.Logging;

namespace ConsentKit;

/// <summary>
/// A consent-filtered stream: enumerating it reads the source in batches, decides every subject once
/// — by id in one bulk lookup per batch, or from one snapshot of the purpose's current state once the
/// run is large (<see cref="ConsentFilterOptions.Lookup"/>) — and yields, in the source's order, only
/// the items whose subject allows the purpose. Enumerate it once; <see cref="Report"/> fills in as it goes.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed partial class ConsentFilterRun<T> : IAsyncEnumerable<T>
{
    private readonly IAsyncEnumerable<T>? _asyncSource;
    private readonly IEnumerable<T>? _syncSource;
    private readonly Func<T, string?> _subjectOf;
    private readonly IConsentGate _gate;
    private readonly ConsentPurposeReader? _purposes;
    private readonly IDataUseLedger? _ledger;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConsentFilterOptions _options;
    private int _enumerated;

    internal ConsentFilterRun(
        IAsyncEnumerable<T>? asyncSource, IEnumerable<T>? syncSource, Func<T, string?> subjectOf, string purposeId, IConsentGate gate,
        ConsentPurposeReader? purposes, IDataUseLedger? ledger, TimeProvider timeProvider, ILogger logger, ConsentFilterOptions options)
    {
        _asyncSource = asyncSource;
        _syncSource = syncSource;
        _subjectOf = subjectOf;
        _gate = gate;
        _purposes = purposes;
        _ledger = ledger;
        _timeProvider = timeProvider;
        _logger = logger;

        // A copy: changing the caller's options object after the run was made must not change the run.
        _options = new ConsentFilterOptions
        {
            BatchSize = options.BatchSize,
            Lookup = options.Lookup,
            SnapshotThreshold = options.SnapshotThreshold,
            KeptSnapshot = options.KeptSnapshot,
            DataUseDescription = options.DataUseDescription,
            DataUseId = options.DataUseId,
        };
        Report = new ConsentFilterReport(purposeId);
    }

    /// <summary>What the run saw, kept and left out so far.</summary>
    public ConsentFilterReport Report { get; }

    /// <inheritdoc />
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("A consent-filtered run can be enumerated once; start a new run to filter again.");
        }

        return new Enumerator(this, cancellationToken);
    }
}
