using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>
/// Verifies the whole history every <see cref="ConsentHistoryVerificationOptions.Interval"/> against the
/// anchor's latest head, then anchors the new head (signed when a key is set). A failed verification is
/// reported to <see cref="ConsentIntegrityMonitor"/>: the health checks turn Unhealthy and the gate denies
/// every check until a verification passes again.
/// </summary>
internal sealed class ConsentHistoryVerificationService(
    ConsentHistoryVerifier verifier,
    ConsentIntegrityMonitor monitor,
    IOptions<ConsentHistoryVerificationOptions> options,
    TimeProvider timeProvider,
    IConsentHeadAnchor? anchor = null,
    ILogger<ConsentHistoryVerificationService>? logger = null) : BackgroundService
{
    private readonly ILogger _logger = logger ?? NullLogger<ConsentHistoryVerificationService>.Instance;
    private long _round;
    private bool _lastFailed;

    /// <summary>One round: verify against the latest anchored head, report, anchor the new head.</summary>
    internal async Task<ConsentVerificationResult> VerifyOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var latest = anchor is null ? null : await anchor.GetLatestAsync(cancellationToken);
        var checkKey = settings.VerificationKey ?? settings.SigningKey;
        ConsentVerificationResult result;
        if (latest is not null && checkKey is not null && (latest.Signature is null || !latest.Head.HasValidSignature(latest.Signature, checkKey)))
        {
            result = new ConsentVerificationResult
            {
                Problem = ConsentVerificationProblem.AnchorMismatch,
                FirstBadSequence = latest.Head.Sequence,
                Message = $"The anchored head {latest.Head} is {(latest.Signature is null ? "unsigned" : "not signed with the verification key")}: the anchor was written by someone else.",
                RecordsChecked = 0,
                Head = latest.Head,
                Anchored = true,
            };
        }
        else
        {
            // Whole history on the first round, every FullVerificationEvery rounds and after a failure (an
            // incremental round does not re-check what a whole one found wrong); the new part otherwise.
            var whole = latest is null || _lastFailed || _round % settings.FullVerificationEvery == 0;
            result = whole ? await verifier.VerifyAsync(latest?.Head, cancellationToken) : await verifier.VerifySinceAsync(latest!.Head, cancellationToken);
        }

        _round++;
        _lastFailed = !result.IsValid;
        monitor.ReportVerification(result);
        if (!result.IsValid)
        {
            Log.HistoryVerificationFailed(_logger, result.Problem, result.FirstBadSequence, result.Message);
            return result;
        }

        Log.HistoryVerified(_logger, result.RecordsChecked, result.Head.ToString(), latest?.Head.ToString());
        if (anchor is not null && (latest is null || latest.Head.Sequence != result.Head.Sequence || latest.Head.LogSequence != result.Head.LogSequence))
        {
            await anchor.AddAsync(
                new ConsentAnchoredHead { Head = result.Head, Signature = settings.SigningKey is { } key ? result.Head.Sign(key) : null, AnchoredAt = timeProvider.GetUtcNow() },
                cancellationToken);
        }

        return result;
    }

    // A store or anchor that cannot be read is not a verified history: reported as not verified.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicRounds.RunAsync(VerifyOnceAsync, () => options.Value.Interval, timeProvider, ex => Log.HistoryVerificationError(_logger, ex), stoppingToken);
}
