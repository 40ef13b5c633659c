using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>
/// The default <see cref="IConsentGate"/>: decides from the store through a per-subject cache, and
/// denies whenever consent cannot be confirmed.
/// </summary>
/// <remarks>
/// <para>
/// A cache entry holds every purpose's decision for one subject, worked out when the entry is filled,
/// so a check on a warm entry is one slot read and a comparison with a coarse clock. Writes made through
/// <see cref="IConsentRecorder"/> invalidate the subject before the write returns; writes made elsewhere
/// reach it through the change-feed follower, and while that is behind the gate reads the store on every
/// check. Without a follower, <see cref="ConsentKitOptions.CacheMaxStaleness"/> bounds what they can hide.
/// </para>
/// <para>Every decision comes from <see cref="ConsentDecisionService"/>, also for bulk checks (<see cref="CheckManyAsync"/>); this class only caches and times.</para>
/// </remarks>
internal sealed class ConsentGate : IConsentGate, IConsentCacheInvalidator, IConsentSubjectState, IDisposable
{
    private static readonly TimeSpan ClockResolution = TimeSpan.FromSeconds(1);

    private readonly IConsentStore _store;
    private readonly ConsentPurposeCatalog _catalog;
    private readonly ConsentDecisionService _decisions;
    private readonly ConsentKitInstrumentation _instrumentation;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly CoarseClock _clock;
    private readonly SubjectCache _cache;
    private readonly ConsentChangeFeedState _feed;
    private readonly long _maxStalenessTicks;
    private readonly long _maxStalenessTicksWithFeed;
    private readonly TimeSpan _storeTimeout;
    private readonly int _sizeLimit;
    private readonly ConsentIntegrityMonitor? _integrity;
    private readonly SubjectMissReader _misses;

    /// <summary>Creates the gate, told by <paramref name="feed"/> whether the change-feed follower is current.</summary>
    public ConsentGate(
        IConsentStore store,
        ConsentPurposeCatalog catalog,
        IOptions<ConsentKitOptions> options,
        TimeProvider? timeProvider,
        ConsentKitInstrumentation? instrumentation,
        ILogger<ConsentGate>? logger,
        ConsentChangeFeedState? feed = null,
        ConsentDecisionService? decisions = null,
        ConsentIntegrityMonitor? integrity = null)
    {
        _integrity = integrity;
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _catalog = catalog;
        _decisions = decisions ?? new ConsentDecisionService(catalog);
        var settings = options.Value;
        _maxStalenessTicks = (settings.CacheMaxStaleness ?? ConsentKitOptions.DefaultCacheMaxStaleness).Ticks;
        _maxStalenessTicksWithFeed = (settings.CacheMaxStaleness ?? ConsentKitOptions.DefaultCacheMaxStalenessWithChangeFeed).Ticks;
        _storeTimeout = settings.StoreTimeout;
        _sizeLimit = settings.CacheSizeLimit;
        _instrumentation = instrumentation ?? new ConsentKitInstrumentation();
        _logger = logger ?? NullLogger<ConsentGate>.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _clock = new CoarseClock(_timeProvider, ClockResolution);
        _cache = new SubjectCache(_sizeLimit);
        _feed = feed ?? new ConsentChangeFeedState(_timeProvider);
        _misses = new SubjectMissReader(store, _storeTimeout, _timeProvider);
    }

    /// <summary>The store reads for cache misses (coalesced and batched; the benchmarks turn that off to compare).</summary>
    internal SubjectMissReader Misses => _misses;

    /// <inheritdoc />
    public ValueTask<ConsentDecision> CheckAsync(string subjectId, string purposeId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        ArgumentNullException.ThrowIfNull(purposeId);

        var purposeIndex = _catalog.IndexOf(purposeId);
        if (purposeIndex < 0)
        {
            return new(DenyUnknownPurpose(purposeId));
        }

        if (_integrity?.HistoryFailed == true)
        {
            return new(DenyUnverified(purposeIndex));
        }

        // While the change-feed follower is behind, a cached entry may hide a write made elsewhere.
        if (_feed.CacheUsable && _cache.TryGet(subjectId, out var entry))
        {
            var now = _clock.UtcTicks;
            if (now < entry.StaleAtTicks)
            {
                // Fresh here also means no allowing decision is within a clock resolution of expiring.
                var registeredId = _catalog.IdAt(purposeIndex);
                if (!entry.TryUnpack(purposeIndex, registeredId, out var decision))
                {
                    decision = _decisions.Decide(entry.Current, purposeIndex, _clock.ExactUtcNow());
                }

                _instrumentation.RecordDecision(registeredId, decision);
                return new(decision);
            }
        }

        return CheckFromStoreAsync(subjectId, purposeIndex, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, ConsentDecision>> CheckManyAsync(
        IReadOnlyCollection<string> subjectIds, string purposeId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectIds);
        ArgumentNullException.ThrowIfNull(purposeId);
        var decisions = new Dictionary<string, ConsentDecision>(subjectIds.Count, StringComparer.Ordinal);
        var purposeIndex = _catalog.IndexOf(purposeId);
        if (purposeIndex < 0)
        {
            var unknown = DenyUnknownPurpose(purposeId);
            foreach (var subjectId in subjectIds)
            {
                decisions.TryAdd(subjectId, unknown);
            }

            return decisions;
        }

        purposeId = _catalog[purposeIndex].Id;
        if (_integrity?.HistoryFailed == true)
        {
            var unverified = DenyUnverified(purposeIndex);
            foreach (var subjectId in subjectIds)
            {
                decisions.TryAdd(subjectId, unverified);
            }

            return decisions;
        }

        var valid = new List<string>(subjectIds.Count);
        foreach (var subjectId in subjectIds)
        {
            ArgumentNullException.ThrowIfNull(subjectId, nameof(subjectIds));
            if (!decisions.ContainsKey(subjectId))
            {
                decisions[subjectId] = ConsentDecision.Deny(purposeId, ConsentDecisionReason.NoRecord);
                if (ConsentRecordRules.IsValidSubjectId(subjectId))
                {
                    valid.Add(subjectId);
                }
            }
        }

        if (valid.Count == 0)
        {
            return decisions;
        }

        IReadOnlyList<ConsentRecord> records;
        try
        {
            records = await ReadManyAsync(valid, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.StoreFailed(_logger, purposeId, ex, _integrity);
            var unavailable = ConsentDecision.Deny(purposeId, ConsentDecisionReason.StoreUnavailable);
            foreach (var subjectId in valid)
            {
                decisions[subjectId] = unavailable;
            }

            return decisions;
        }

        _decisions.DecideMany(records, purposeIndex, _clock.ExactUtcNow(), decisions);

        foreach (var decision in decisions.Values)
        {
            _instrumentation.RecordDecision(purposeId, decision);
        }

        return decisions;
    }

    /// <inheritdoc />
    public void Invalidate(string subjectId)
    {
        ArgumentNullException.ThrowIfNull(subjectId);
        _cache.Invalidate(subjectId);
    }

    /// <inheritdoc />
    public void InvalidateAll() => _cache.InvalidateAll();

    /// <inheritdoc />
    public void Dispose() => _clock.Dispose();

    internal ConsentChangeFeedState ChangeFeed => _feed;

    /// <inheritdoc />
    public async ValueTask<ConsentRecord?[]> CurrentOfAsync(string subjectId, CancellationToken cancellationToken)
    {
        if (_feed.CacheUsable && _cache.TryGet(subjectId, out var cached) && _clock.UtcTicks < cached.StaleAtTicks)
        {
            return cached.Current;
        }

        try
        {
            var (entry, _) = await LoadAsync(subjectId, 0, cancellationToken);
            return entry.Current;
        }
        catch (Exception ex) when (ex is not ConsentStoreException && !cancellationToken.IsCancellationRequested)
        {
            throw new ConsentStoreException("The consent store could not be read within the store time-out.", ex);
        }
    }

    internal int CachedSubjectCount => _cache.Count;

    private async ValueTask<ConsentDecision> CheckFromStoreAsync(string subjectId, int purposeIndex, CancellationToken cancellationToken)
    {
        var purposeId = _catalog[purposeIndex].Id;
        ConsentDecision decision;
        if (!ConsentRecordRules.IsValidSubjectId(subjectId))
        {
            // No record can exist for an id the recorder would never accept.
            decision = ConsentDecision.Deny(purposeId, ConsentDecisionReason.NoRecord);
            _instrumentation.RecordDecision(purposeId, decision);
            return decision;
        }

        try
        {
            (_, decision) = await LoadAsync(subjectId, purposeIndex, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.StoreFailed(_logger, purposeId, ex, _integrity);
            decision = ConsentDecision.Deny(purposeId, ConsentDecisionReason.StoreUnavailable);
            _instrumentation.RecordDecision(purposeId, decision);
            return decision;
        }

        Log.DecidedFromStore(_logger, subjectId, purposeId, decision.Reason);
        _instrumentation.RecordDecision(purposeId, decision);
        return decision;
    }

    /// <summary>
    /// One store read (time-out bounded) of the subject's current records, decided for every purpose and
    /// cached — unless a write for the subject raced the read (the epoch moved).
    /// </summary>
    private async ValueTask<(SubjectCacheEntry Entry, ConsentDecision Requested)> LoadAsync(string subjectId, int purposeIndex, CancellationToken cancellationToken)
    {
        var epoch = _cache.ReadEpoch(subjectId);
        IReadOnlyList<ConsentRecord> records;
        using (var activity = ConsentKitInstrumentation.ActivitySource.StartActivity("consentkit.store.get_current", ActivityKind.Internal))
        {
            records = await _misses.ReadAsync(subjectId, epoch, cancellationToken);
            activity?.SetTag("consentkit.records", records.Count);
        }

        var now = _clock.ExactUtcNow();
        var entry = Fill(records, now, purposeIndex, out var decision);
        if (entry.StaleAtTicks > now.UtcTicks)
        {
            var evicted = _cache.TryAdd(subjectId, entry, epoch);
            if (evicted > 0)
            {
                Log.CacheEvicted(_logger, _sizeLimit, evicted);
            }
        }

        return (entry, decision);
    }

    private async ValueTask<IReadOnlyList<ConsentRecord>> ReadManyAsync(List<string> subjectIds, CancellationToken cancellationToken)
    {
        using var activity = ConsentKitInstrumentation.ActivitySource.StartActivity("consentkit.store.get_current_many", ActivityKind.Internal);
        activity?.SetTag("consentkit.subjects", subjectIds.Count);

        // A hung store must end a pipeline run (StoreUnavailable), not hang it for good.
        return await StoreTimeout.CallAsync(ct => _store.GetCurrentManyAsync(subjectIds, ct), _storeTimeout, _timeProvider, cancellationToken);
    }

    private SubjectCacheEntry Fill(IReadOnlyList<ConsentRecord> records, DateTimeOffset now, int requestedIndex, out ConsentDecision requested)
    {
        requested = default;
        var current = _decisions.CurrentOf(records);
        ulong packed = 0;
        var maxStaleness = _feed.IsCurrent ? _maxStalenessTicksWithFeed : _maxStalenessTicks;
        var staleAt = now.UtcTicks > DateTimeOffset.MaxValue.UtcTicks - maxStaleness
            ? DateTimeOffset.MaxValue.UtcTicks
            : now.UtcTicks + maxStaleness;
        for (var i = 0; i < _catalog.Count; i++)
        {
            var decision = _decisions.Decide(current, i, now, out var holdsUntil);
            if (i == requestedIndex)
            {
                requested = decision;
            }

            // Every decision, allowing or not, is trusted only up to its horizon (a denial's reason changes
            // too: an outdated notice reads "expired" once the grant's lifetime ends). The coarse clock may
            // lag by one resolution: stop trusting the entry that much before, so a grant never outlives it.
            if (holdsUntil.UtcTicks - _clock.ResolutionTicks < staleAt)
            {
                staleAt = holdsUntil.UtcTicks - _clock.ResolutionTicks;
            }

            if (i < SubjectCacheEntry.PackedPurposes)
            {
                var deciding = decision.Record is { } record ? _catalog.IndexOf(record.PurposeId) : SubjectCacheEntry.NoRecord;
                var value = deciding is < 0 or >= SubjectCacheEntry.NoRecord && decision.Record is not null
                    ? SubjectCacheEntry.Unpacked
                    : (int)decision.Reason | (deciding << 4);
                packed = SubjectCacheEntry.Pack(packed, i, value);
            }
        }

        return new SubjectCacheEntry(current, packed, staleAt);
    }

    /// <summary>The history failed its last verification: a failing store, so every check is denied until one passes.</summary>
    private ConsentDecision DenyUnverified(int purposeIndex)
    {
        var decision = ConsentDecision.Deny(_catalog.IdAt(purposeIndex), ConsentDecisionReason.StoreUnavailable);
        _instrumentation.RecordDecision(_catalog.IdAt(purposeIndex), decision);
        return decision;
    }

    private ConsentDecision DenyUnknownPurpose(string purposeId)
    {
        Log.UnknownPurpose(_logger, purposeId);
        var decision = ConsentDecision.Deny(purposeId, ConsentDecisionReason.UnknownPurpose);
        _instrumentation.RecordDecision("unknown", decision);
        return decision;
    }
}
