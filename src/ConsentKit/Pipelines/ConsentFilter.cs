using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConsentKit;

/// <summary>
/// Filters data streams by consent for pipelines (training-set builds, exports): only items whose
/// subject allows the purpose get through, and the run can be recorded in the data-use ledger.
/// </summary>
/// <remarks>
/// The filter asks <see cref="IConsentGate.CheckManyAsync"/>; it has no rules of its own. A store
/// failure ends the run with a <see cref="ConsentStoreException"/> — never "let everything through".
/// </remarks>
public sealed class ConsentFilter
{
    private readonly IConsentGate _gate;
    private readonly IDataUseLedger? _ledger;
    private readonly ConsentPurposeReader? _purposes;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>Creates the filter.</summary>
    /// <param name="gate">The gate that decides.</param>
    /// <param name="ledger">Records runs that ask to be recorded; <see langword="null"/> when the store keeps none.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    /// <remarks>A filter made here reads by id only (<see cref="ConsentFilterLookup.BySubject"/>); the one from <c>AddConsentKit</c> can also read a purpose whole.</remarks>
    public ConsentFilter(IConsentGate gate, IDataUseLedger? ledger = null, TimeProvider? timeProvider = null, ILogger<ConsentFilter>? logger = null)
        : this(gate, ledger, timeProvider, logger, purposes: null)
    {
    }

    /// <summary>The filter from DI: <paramref name="purposes"/> reads a purpose whole for snapshot runs.</summary>
    internal ConsentFilter(IConsentGate gate, IDataUseLedger? ledger, TimeProvider? timeProvider, ILogger<ConsentFilter>? logger, ConsentPurposeReader? purposes)
    {
        ArgumentNullException.ThrowIfNull(gate);
        _gate = gate;
        _purposes = purposes;
        _ledger = ledger;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ConsentFilter>.Instance;
    }

    /// <summary>Filters an asynchronous stream.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The items.</param>
    /// <param name="subjectOf">Whose data an item is (e.g. <c>post =&gt; post.AuthorId</c>); <see langword="null"/> leaves the item out.</param>
    /// <param name="purposeId">The purpose, e.g. <see cref="ConsentPurposes.GenerativeAiTraining"/>.</param>
    /// <param name="options">Batch size and ledger recording.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ by source type (IEnumerable or IAsyncEnumerable), never by the optional options: no call can become ambiguous.")]
    public ConsentFilterRun<T> Filter<T>(IAsyncEnumerable<T> source, Func<T, string?> subjectOf, string purposeId, ConsentFilterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Create(source, null, subjectOf, purposeId, options);
    }

    /// <summary>Filters a synchronous sequence: items are read without an asynchronous step each; consent is still read asynchronously, in batches.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The items.</param>
    /// <param name="subjectOf">Whose data an item is.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="options">Batch size, lookup and ledger recording.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ by source type (IEnumerable or IAsyncEnumerable), never by the optional options: no call can become ambiguous.")]
    public ConsentFilterRun<T> Filter<T>(IEnumerable<T> source, Func<T, string?> subjectOf, string purposeId, ConsentFilterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Create(null, source, subjectOf, purposeId, options);
    }

    /// <summary>
    /// Makes a snapshot of <paramref name="purposeId"/>'s decisions to keep between runs
    /// (<see cref="ConsentFilterOptions.KeptSnapshot"/>): nothing is read until the first run uses it.
    /// </summary>
    /// <param name="purposeId">A registered purpose.</param>
    /// <exception cref="ArgumentException"><paramref name="purposeId"/> is not registered.</exception>
    /// <exception cref="InvalidOperationException">The filter was made by hand rather than by <c>AddConsentKit</c>, so it reads only by id.</exception>
    public ConsentPurposeSnapshot KeepSnapshot(string purposeId)
    {
        ArgumentNullException.ThrowIfNull(purposeId);
        if (_purposes is null)
        {
            throw new InvalidOperationException("A kept snapshot needs the purpose reader registered by AddConsentKit; this filter was made by hand and reads only by id. Resolve ConsentFilter from DI.");
        }

        if (!_purposes.IsRegistered(purposeId))
        {
            throw new ArgumentException($"'{purposeId}' is not a registered purpose: a snapshot of it would deny everyone.", nameof(purposeId));
        }

        return new ConsentPurposeSnapshot(_purposes, purposeId);
    }

    private ConsentFilterRun<T> Create<T>(IAsyncEnumerable<T>? asyncSource, IEnumerable<T>? syncSource, Func<T, string?> subjectOf, string purposeId, ConsentFilterOptions? options)
    {
        ArgumentNullException.ThrowIfNull(subjectOf);
        ArgumentNullException.ThrowIfNull(purposeId);
        options ??= new ConsentFilterOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, "options.BatchSize");
        ArgumentOutOfRangeException.ThrowIfNegative(options.SnapshotThreshold, "options.SnapshotThreshold");
        if (!Enum.IsDefined(options.Lookup))
        {
            throw new ArgumentOutOfRangeException("options.Lookup", options.Lookup, "Lookup must be Automatic, BySubject or Snapshot.");
        }

        if (options.Lookup == ConsentFilterLookup.Snapshot && _purposes is null)
        {
            throw new ArgumentException(
                "Lookup = Snapshot needs the purpose reader registered by AddConsentKit; this filter was made by hand and reads only by id. Use Automatic or BySubject, or resolve ConsentFilter from DI.",
                "options.Lookup");
        }

        if (options.KeptSnapshot is { } kept)
        {
            if (!ReferenceEquals(kept.Reader, _purposes))
            {
                throw new ArgumentException("KeptSnapshot was made by another filter (another store); make it with this filter's KeepSnapshot.", "options.KeptSnapshot");
            }

            if (!string.Equals(kept.PurposeId, purposeId, StringComparison.Ordinal))
            {
                throw new ArgumentException($"KeptSnapshot decides '{kept.PurposeId}', but the run is for '{purposeId}'.", "options.KeptSnapshot");
            }

            if (options.Lookup == ConsentFilterLookup.BySubject)
            {
                throw new ArgumentException("Lookup = BySubject reads by id and would leave KeptSnapshot unused: use Automatic or Snapshot with it, or leave it out.", "options.Lookup");
            }
        }

        if (options.DataUseId is not null && options.DataUseDescription is null)
        {
            // An id alone would record nothing: refuse rather than run a build that is silently off the record.
            throw new ArgumentException("DataUseId is set but DataUseDescription is not: set both to record the run in the ledger, or neither.", "options.DataUseDescription");
        }

        if (options.DataUseDescription is not null && _ledger is null)
        {
            throw new InvalidOperationException("This run asks to be recorded, but the configured consent store keeps no data-use ledger.");
        }

        return new ConsentFilterRun<T>(asyncSource, syncSource, subjectOf, purposeId, _gate, _purposes, _ledger, _timeProvider, _logger, options);
    }
}

/// <summary>LINQ-style entry points for <see cref="ConsentFilter"/>.</summary>
public static class ConsentFilterExtensions
{
    /// <summary>Keeps only the items whose subject has a valid opt-in for <paramref name="purposeId"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The items.</param>
    /// <param name="filter">The consent filter (from DI).</param>
    /// <param name="subjectOf">Whose data an item is.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="options">Batch size and ledger recording.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ by source type (IEnumerable or IAsyncEnumerable), never by the optional options: no call can become ambiguous.")]
    public static ConsentFilterRun<T> WhereConsented<T>(
        this IAsyncEnumerable<T> source, ConsentFilter filter, Func<T, string?> subjectOf, string purposeId, ConsentFilterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter.Filter(source, subjectOf, purposeId, options);
    }

    /// <summary>Keeps only the items whose subject has a valid opt-in for <paramref name="purposeId"/>.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The items.</param>
    /// <param name="filter">The consent filter (from DI).</param>
    /// <param name="subjectOf">Whose data an item is.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="options">Batch size and ledger recording.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ by source type (IEnumerable or IAsyncEnumerable), never by the optional options: no call can become ambiguous.")]
    public static ConsentFilterRun<T> WhereConsented<T>(
        this IEnumerable<T> source, ConsentFilter filter, Func<T, string?> subjectOf, string purposeId, ConsentFilterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter.Filter(source, subjectOf, purposeId, options);
    }
}
