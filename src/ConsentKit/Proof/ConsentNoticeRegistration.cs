using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConsentKit;

/// <summary>
/// Keeps the notices at start-up: a host whose purpose changed its text without a new notice version
/// does not start (<see cref="ConsentNoticeConflictException"/> names the purpose). A store that cannot
/// be reached does not stop the start (the gate denies meanwhile); the recorder saves the notices
/// before its first write instead.
/// </summary>
internal sealed class ConsentNoticeRegistration(IServiceProvider services, ILogger<ConsentNoticeRegistration>? logger = null)
    : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        // Resolved here, not in the constructor: a host without a store must fail on its options
        // validation, which names the problem, not on this service's activation.
        if (services.GetService(typeof(IConsentStore)) is not IConsentStore store
            || services.GetService(typeof(ConsentPurposeCatalog)) is not ConsentPurposeCatalog catalog)
        {
            return;
        }

        try
        {
            var time = services.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;
            await ConsentNoticeKeeper.For(store, catalog, time).EnsureSavedAsync(cancellationToken);
        }
        catch (ConsentStoreException ex)
        {
            Log.NoticesNotSaved(logger ?? (ILogger)NullLogger.Instance, ex);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
