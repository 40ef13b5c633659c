using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>
/// Purpose-wide reads for pipelines: every subject decided for one purpose from one scan at one watermark,
/// and a kept set brought up to date from the change feed. It reads; <see cref="ConsentDecisionService"/>
/// decides. Like <see cref="IConsentGate.CheckManyAsync"/>, it reads the store directly (bounded by
/// <see cref="ConsentKitOptions.StoreTimeout"/>) and leaves the gate's per-subject cache alone.
/// </summary>
internal sealed class ConsentPurposeReader : IConsentPurposeReader
{
    /// <summary>A kept snapshot catches up through changes to at least this many subjects before it is read whole again.</summary>
    internal const int MinimumCatchUp = 1_000;

    private const int ChangePageSize = 4_096;

    private readonly IConsentStore _store;
    private readonly ConsentDecisionService _decisions;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _storeTimeout;
    private readonly ILogger _logger;
    private readonly ConsentIntegrityMonitor? _integrity;

    public ConsentPurposeReader(
        IConsentStore store,
        ConsentDecisionService decisions,
        IOptions<ConsentKitOptions> options,
        TimeProvider? timeProvider = null,
        ILogger<ConsentPurposeReader>? logger = null,
        ConsentIntegrityMonitor? integrity = null)
    {
        _integrity = integrity;
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _decisions = decisions;
        _storeTimeout = options.Value.StoreTimeout;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ConsentPurposeReader>.Instance;
    }

    private ConsentPurposeCatalog Catalog => _decisions.Catalog;

    /// <inheritdoc />
    public async ValueTask<ConsentAllowedSubjects> ReadAllowedAsync(string purposeId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(purposeId);
        if (!IsRegistered(purposeId))
        {
            throw new ArgumentException($"'{purposeId}' is not a registered purpose.", nameof(purposeId));
        }

        var decisions = await DecideAllAsync(purposeId, cancellationToken);
        if (decisions.StoreUnavailable)
        {
            throw new ConsentStoreException($"The consent store could not be read for '{purposeId}'.");
        }

        var subjects = new List<ConsentAllowedSubject>();
        foreach (var (subject, grant) in decisions.Allowed())
        {
            subjects.Add(new ConsentAllowedSubject(subject, grant.Sequence));
        }

        subjects.Sort((a, b) => string.CompareOrdinal(a.SubjectId, b.SubjectId));
        return new ConsentAllowedSubjects
        {
            PurposeId = decisions.PurposeId,
            Watermark = decisions.Watermark,
            DecidedAt = decisions.DecidedAt,
            HoldsUntil = decisions.HoldsUntil,
            Subjects = subjects,
        };
    }

    /// <summary>Whether <paramref name="purposeId"/> is a registered purpose.</summary>
    /// <inheritdoc />
    public async ValueTask<ConsentAllowedSubjectStream> StreamAllowedAsync(string purposeId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(purposeId);
        var purposeIndex = Catalog.IndexOf(purposeId);
        if (purposeIndex < 0)
        {
            throw new ArgumentException($"'{purposeId}' is not a registered purpose.", nameof(purposeId));
        }

        purposeId = Catalog[purposeIndex].Id;
        if (_integrity?.HistoryFailed == true)
        {
            throw new ConsentStoreException($"The consent history failed verification: nothing is read for '{purposeId}'.");
        }

        var purposes = ScopeOf(purposeIndex);
        Storage.ConsentPurposeScanStream scan;
        try
        {
            scan = _store is Storage.IConsentStreamingScan streaming
                ? await StoreTimeout.CallAsync(ct => streaming.OpenCurrentScanAsync(purposes, ct), _storeTimeout, _timeProvider, cancellationToken)
                : Grouped(await StoreTimeout.CallAsync(ct => _store.ScanCurrentAsync(purposes, ct), _storeTimeout, _timeProvider, cancellationToken));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.StoreFailed(_logger, purposeId, ex, _integrity);
            throw new ConsentStoreException($"The consent store could not be read for '{purposeId}'.", ex);
        }

        var now = _timeProvider.GetUtcNow();
        var horizon = new System.Runtime.CompilerServices.StrongBox<DateTimeOffset>(DateTimeOffset.MaxValue);
        var finished = false;
        async IAsyncEnumerable<ConsentAllowedSubject> Subjects([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
        {
            await foreach (var allowed in _decisions.DecideAllowedAsync(scan.Records, purposeIndex, now, horizon, ct))
            {
                yield return allowed;
            }

            finished = true;
        }

        return new ConsentAllowedSubjectStream(purposeId, scan.Watermark, now, Subjects(), () => finished ? horizon.Value : null, scan.DisposeAsync);
    }

    // A store without a streaming scan: its scan, grouped by subject in memory.
    private static Storage.ConsentPurposeScanStream Grouped(Storage.ConsentPurposeScan scan)
    {
        var records = scan.Records.OrderBy(r => r.SubjectId, StringComparer.Ordinal).ToList();
        return new Storage.ConsentPurposeScanStream(scan.Watermark, records.ToAsyncEnumerable());
    }

    internal bool IsRegistered(string purposeId) => Catalog.IndexOf(purposeId) >= 0;

    /// <summary>
    /// Decides <paramref name="purposeId"/> for every subject from one scan of the store's current state for
    /// the purpose and its ancestors. A store failure denies everyone with <see cref="ConsentDecisionReason.StoreUnavailable"/>.
    /// </summary>
    internal async ValueTask<ConsentPurposeDecisions> DecideAllAsync(string purposeId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(purposeId);
        var purposeIndex = Catalog.IndexOf(purposeId);
        if (purposeIndex < 0)
        {
            return new ConsentPurposeDecisions(purposeId, 0, _timeProvider.GetUtcNow(), ConsentDecisionReason.UnknownPurpose);
        }

        purposeId = Catalog[purposeIndex].Id;
        if (_integrity?.HistoryFailed == true)
        {
            return new ConsentPurposeDecisions(purposeId, 0, _timeProvider.GetUtcNow(), ConsentDecisionReason.StoreUnavailable);
        }

        var purposes = ScopeOf(purposeIndex);
        Storage.ConsentPurposeScan scan;
        try
        {
            using var activity = ConsentKitInstrumentation.ActivitySource.StartActivity("consentkit.store.scan_current", ActivityKind.Internal);
            scan = await StoreTimeout.CallAsync(ct => _store.ScanCurrentAsync(purposes, ct), _storeTimeout, _timeProvider, cancellationToken);
            activity?.SetTag("consentkit.records", scan.Records.Count);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.StoreFailed(_logger, purposeId, ex, _integrity);
            return new ConsentPurposeDecisions(purposeId, 0, _timeProvider.GetUtcNow(), ConsentDecisionReason.StoreUnavailable);
        }

        return _decisions.DecideAll(scan.Records, scan.Watermark, purposeIndex, _timeProvider.GetUtcNow());
    }

    /// <summary>
    /// Brings a kept purpose-wide decision set up to the store's latest sequence: reads the change feed from
    /// its watermark and decides again, from one bulk read by id, only the subjects whose records for the
    /// purpose or an ancestor changed. Says <see cref="ConsentCatchUp.ReadAgain"/> when that would not be
    /// cheaper or not be right: more changed subjects than an eighth of the set (at least
    /// <see cref="MinimumCatchUp"/>), an erased subject among them (its records no longer name it), or the
    /// set's horizon reached (a decision in it may have changed by time alone). Leaves <paramref name="kept"/>
    /// untouched unless it succeeds.
    /// </summary>
    internal async ValueTask<ConsentCatchUp> CatchUpAsync(ConsentPurposeDecisions kept, CancellationToken cancellationToken)
    {
        var purposeIndex = Catalog.IndexOf(kept.PurposeId);
        var now = _timeProvider.GetUtcNow();
        if (purposeIndex < 0 || kept.StoreUnavailable || now >= kept.HoldsUntil || _integrity?.HistoryFailed == true)
        {
            return ConsentCatchUp.ReadAgain;
        }

        var scope = new HashSet<string>(ScopeOf(purposeIndex), StringComparer.Ordinal);
        var limit = Math.Max(MinimumCatchUp, kept.Count / 8);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var watermark = kept.Watermark;
        Dictionary<string, ConsentDecision>? decided = null;
        var horizon = DateTimeOffset.MaxValue;
        try
        {
            using var activity = ConsentKitInstrumentation.ActivitySource.StartActivity("consentkit.store.catch_up", ActivityKind.Internal);
            while (true)
            {
                var after = watermark;
                var page = await StoreTimeout.CallAsync(ct => _store.GetChangesAsync(after, ChangePageSize, ct), _storeTimeout, _timeProvider, cancellationToken);
                foreach (var record in page)
                {
                    watermark = record.Sequence;

                    // An erased subject's records of any purpose: the ones in scope no longer name the subject either.
                    if (record.IsSubjectErased)
                    {
                        return ConsentCatchUp.ReadAgain;
                    }

                    if (scope.Contains(record.PurposeId) && changed.Add(record.SubjectId) && changed.Count > limit)
                    {
                        return ConsentCatchUp.ReadAgain;
                    }
                }

                if (page.Count < ChangePageSize)
                {
                    break;
                }
            }

            if (changed.Count > 0)
            {
                var current = await StoreTimeout.CallAsync(ct => _store.GetCurrentManyAsync(changed, ct), _storeTimeout, _timeProvider, cancellationToken);
                decided = new Dictionary<string, ConsentDecision>(changed.Count, StringComparer.Ordinal);
                foreach (var subject in changed)
                {
                    decided[subject] = ConsentDecision.Deny(kept.PurposeId, ConsentDecisionReason.NoRecord);
                }

                horizon = _decisions.DecideMany(current, purposeIndex, now, decided);
            }

            activity?.SetTag("consentkit.subjects", changed.Count);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.StoreFailed(_logger, kept.PurposeId, ex, _integrity);
            return ConsentCatchUp.StoreUnavailable;
        }

        if (decided is not null)
        {
            foreach (var (subject, decision) in decided)
            {
                kept.Put(subject, decision);
            }
        }

        // The decisions replaced held their own horizons; keeping the earlier one is safe (a read too many, never one too few).
        if (horizon < kept.HoldsUntil)
        {
            kept.HoldsUntil = horizon;
        }

        kept.Watermark = watermark;
        kept.DecidedAt = now;
        return ConsentCatchUp.Current;
    }

    /// <summary>The purpose and its ancestors: what its decision reads.</summary>
    private string[] ScopeOf(int purposeIndex)
    {
        var ancestors = Catalog.AncestorsOf(purposeIndex);
        var purposes = new string[ancestors.Length + 1];
        purposes[0] = Catalog[purposeIndex].Id;
        for (var i = 0; i < ancestors.Length; i++)
        {
            purposes[i + 1] = Catalog[ancestors[i]].Id;
        }

        return purposes;
    }
}

/// <summary>How <see cref="ConsentPurposeReader.CatchUpAsync"/> ended.</summary>
internal enum ConsentCatchUp
{
    /// <summary>The kept set is now at the store's latest sequence.</summary>
    Current,

    /// <summary>The kept set must be read whole again (left untouched).</summary>
    ReadAgain,

    /// <summary>The store could not be read (the set left untouched).</summary>
    StoreUnavailable,
}
