using System.Collections.Concurrent;

namespace ConsentKit;

/// <summary>A read that found the store contradicting itself.</summary>
/// <param name="Sequence">The record where it does, when known.</param>
/// <param name="Message">What contradicts what.</param>
/// <param name="At">When it was found.</param>
public sealed record ConsentIntegrityViolation(long? Sequence, string Message, DateTimeOffset At);

/// <summary>
/// What this process knows about the store's integrity: the violations its reads found (each record is
/// logged once) and the last verification of the whole history. The stores' health checks report
/// Unhealthy once a violation was found or the last verification failed, and the last verified sequence
/// and its age otherwise. Registered by <c>AddConsentKit</c>.
/// </summary>
public sealed class ConsentIntegrityMonitor
{
    private readonly TimeProvider _timeProvider;
    private readonly ConsentKitInstrumentation? _instrumentation;
    private readonly ConcurrentDictionary<long, byte> _reported = new();
    private ConsentIntegrityViolation? _lastViolation;
    private ConsentVerificationReport? _lastVerification;

    internal ConsentIntegrityMonitor(TimeProvider timeProvider, ConsentKitInstrumentation? instrumentation)
    {
        _timeProvider = timeProvider;
        _instrumentation = instrumentation;
    }

    /// <summary>The latest violation a read found in this process, or <see langword="null"/>; it stays until the process restarts.</summary>
    public ConsentIntegrityViolation? LastViolation => Volatile.Read(ref _lastViolation);

    /// <summary>The last verification of the whole history in this process (the hosted verifier's), or <see langword="null"/>.</summary>
    public ConsentVerificationReport? LastVerification => Volatile.Read(ref _lastVerification);

    /// <summary>Records a violation; <see langword="true"/> the first time its record is seen (log it then).</summary>
    internal bool ReportViolation(ConsentStoreIntegrityException exception)
    {
        Volatile.Write(ref _lastViolation, new ConsentIntegrityViolation(exception.Sequence, exception.Message, _timeProvider.GetUtcNow()));
        _instrumentation?.RecordIntegrityViolation();
        return _reported.TryAdd(exception.Sequence ?? 0, 0);
    }

    /// <summary>
    /// Whether the last verification of the whole history failed: the gate and purpose-wide reads then deny
    /// every check (<see cref="ConsentDecisionReason.StoreUnavailable"/>) until one passes — a store that does
    /// not verify is a failing store.
    /// </summary>
    internal bool HistoryFailed => Volatile.Read(ref _historyFailed);

    private bool _historyFailed;

    /// <summary>Records the outcome of a verification of the whole history.</summary>
    internal void ReportVerification(ConsentVerificationResult result)
    {
        Volatile.Write(ref _lastVerification, new ConsentVerificationReport(result, _timeProvider.GetUtcNow()));
        Volatile.Write(ref _historyFailed, !result.IsValid);
    }
}

/// <summary>A verification of the whole history and when it finished.</summary>
/// <param name="Result">What it found.</param>
/// <param name="At">When.</param>
public sealed record ConsentVerificationReport(ConsentVerificationResult Result, DateTimeOffset At);
