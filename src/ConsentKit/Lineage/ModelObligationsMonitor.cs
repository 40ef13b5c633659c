using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConsentKit;

/// <summary>What the last round of <see cref="ModelObligationsMonitor"/> found.</summary>
public sealed record ModelObligationsStatus
{
    /// <summary>When the round ran.</summary>
    public required DateTimeOffset CheckedAt { get; init; }

    /// <summary>How many obligations are owed (open or acknowledged), over every artifact.</summary>
    public required int Owed { get; init; }

    /// <summary>How many are owed and past their deadline.</summary>
    public required int Overdue { get; init; }

    /// <summary>The artifacts with an overdue obligation.</summary>
    public required IReadOnlyList<string> OverdueArtifacts { get; init; }
}

/// <summary>
/// Checks every artifact's obligations every <see cref="ModelLineageOptions.CheckInterval"/>, so the metrics
/// <c>consentkit.lineage.obligations.owed</c> / <c>.overdue</c> and the store's health check (Degraded while one
/// is overdue) say what is owed without each scrape computing it. Register with <c>AddObligationsMonitor()</c>.
/// </summary>
public sealed class ModelObligationsMonitor
{
    private ModelObligationsStatus? _last;

    /// <summary>The last round's findings; <see langword="null"/> before the first round.</summary>
    public ModelObligationsStatus? Last => Volatile.Read(ref _last);

    internal void Report(ModelObligationsStatus status) => Volatile.Write(ref _last, status);

    /// <summary>Why a health check should be Degraded, or <see langword="null"/> when nothing is overdue.</summary>
    public string? Degradation() => Last is { Overdue: > 0 } last
        ? $"{last.Overdue} model obligation(s) past their deadline, in {string.Join(", ", last.OverdueArtifacts)} (checked {last.CheckedAt:O}): rebuild without the people owed, or retire."
        : null;
}

/// <summary>The rounds behind <see cref="ModelObligationsMonitor"/>.</summary>
internal sealed class ModelObligationsService(
    IModelLineage lineage,
    ModelObligationsMonitor monitor,
    Microsoft.Extensions.Options.IOptions<ModelLineageOptions> options,
    TimeProvider time,
    ILogger<ModelObligationsService>? logger = null) : BackgroundService
{
    private readonly ILogger _logger = logger ?? NullLogger<ModelObligationsService>.Instance;

    internal async Task<ModelObligationsStatus> CheckOnceAsync(CancellationToken cancellationToken)
    {
        int owed = 0, overdue = 0;
        var overdueArtifacts = new List<string>();
        foreach (var obligations in await lineage.GetAllObligationsAsync(cancellationToken))
        {
            owed += obligations.Owed;
            overdue += obligations.Overdue;
            if (obligations.Overdue > 0)
            {
                overdueArtifacts.Add(obligations.Artifact.Id);
            }
        }

        var status = new ModelObligationsStatus { CheckedAt = time.GetUtcNow(), Owed = owed, Overdue = overdue, OverdueArtifacts = overdueArtifacts };
        monitor.Report(status);
        if (overdue > 0)
        {
            Log.ModelObligationsOverdue(_logger, overdue, string.Join(", ", overdueArtifacts));
        }

        return status;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicRounds.RunAsync(CheckOnceAsync, () => options.Value.CheckInterval, time, ex => Log.ModelObligationsCheckFailed(_logger, ex), stoppingToken);
}
