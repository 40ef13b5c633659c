using Microsoft.Extensions.Logging;

namespace ConsentKit;

/// <summary>A withdrawal (or refusal) and the data uses that already hold the subject's data.</summary>
public sealed record WithdrawalImpact
{
    /// <summary>The withdrawal or refusal.</summary>
    public required ConsentRecord Record { get; init; }

    /// <summary>The data uses that included the subject under an earlier grant, oldest first.</summary>
    public required IReadOnlyList<DataUse> AffectedDataUses { get; init; }
}

/// <summary>
/// Called when a withdrawal or refusal affects data uses that already consumed the subject's data:
/// the place to queue a dataset rebuild or a model's unlearning job.
/// </summary>
/// <remarks>
/// Register with <c>AddWithdrawalImpactHandler&lt;T&gt;()</c>. The default handler logs a warning. Called at
/// most once, in the process that recorded the withdrawal — or, with <c>AddConsentRelay</c>, at least once by
/// the relay for every instance's withdrawals (see <see cref="IConsentChangeObserver"/>): handle a repeat of the
/// same record (its sequence) as done.
/// </remarks>
public interface IWithdrawalImpactHandler
{
    /// <summary>Handles one withdrawal's impact.</summary>
    /// <param name="impact">The record and the affected data uses (never empty).</param>
    /// <param name="cancellationToken">Cancelled only when the host stops, never by the recording caller going away.</param>
    ValueTask OnWithdrawalAsync(WithdrawalImpact impact, CancellationToken cancellationToken);
}

/// <summary>Finds the data uses a withdrawal affects and hands them to the impact handlers.</summary>
internal sealed class WithdrawalImpactObserver(IEnumerable<IWithdrawalImpactHandler> handlers, IDataUseLedger? ledger = null) : IConsentChangeObserver
{
    private readonly IWithdrawalImpactHandler[] _handlers = [.. handlers];

    public async ValueTask OnRecordedAsync(ConsentRecord record, CancellationToken cancellationToken)
    {
        if (record.Status == ConsentStatus.Granted || ledger is null || _handlers.Length == 0)
        {
            return;
        }

        var affected = await ledger.FindAffectedByAsync(record, cancellationToken);
        if (affected.Count == 0)
        {
            return;
        }

        var impact = new WithdrawalImpact { Record = record, AffectedDataUses = affected };
        foreach (var handler in _handlers)
        {
            await handler.OnWithdrawalAsync(impact, cancellationToken);
        }
    }
}

/// <summary>The default impact handler: a warning naming the affected data uses.</summary>
internal sealed class LoggingWithdrawalImpactHandler(ILogger<LoggingWithdrawalImpactHandler>? logger = null) : IWithdrawalImpactHandler
{
    private readonly ILogger _logger = logger ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public ValueTask OnWithdrawalAsync(WithdrawalImpact impact, CancellationToken cancellationToken)
    {
        Log.WithdrawalAffectsDataUses(
            _logger, impact.Record.Sequence, impact.Record.Status, impact.Record.PurposeId, impact.AffectedDataUses.Count,
            string.Join(", ", impact.AffectedDataUses.Select(u => $"{u.Id} ({u.Description})")));
        return ValueTask.CompletedTask;
    }
}
