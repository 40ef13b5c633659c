using ConsentKit.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConsentKit.Relay;

/// <summary>
/// The hosted service that relays every subscription: one loop each, woken by the store's change notifications when
/// it has them (PostgreSQL), polling otherwise.
/// </summary>
internal sealed class ConsentRelayService(IServiceProvider services, IOptions<ConsentRelayOptions> options, ConsentRelayMonitor monitor, ConsentObserverRelay appended) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var relays = Build();
        if (relays.Count == 0)
        {
            return;
        }

        // Writes made in this process wake the loops at once; others' arrive by notification or the next poll.
        appended.OnAppended(() => relays.ForEach(r => r.Wake()));
        var loops = relays.Select(r => Task.Run(() => r.RunAsync(stoppingToken), CancellationToken.None)).ToList();
        if (services.GetRequiredService<IConsentStore>() is IConsentChangeNotifications notifications)
        {
            loops.Add(ListenAsync(notifications, relays, stoppingToken));
        }

        try
        {
            await Task.WhenAll(loops);
        }
        finally
        {
            foreach (var relay in relays)
            {
                await relay.DisposeTransportAsync();
            }
        }
    }

    private List<SubscriptionRelay> Build()
    {
        var value = options.Value;
        var store = services.GetRequiredService<IConsentStore>();
        var relayStore = services.GetService<IConsentRelayStore>() ?? throw new InvalidOperationException(
            "The consent relay keeps its positions in the consent store, and this store keeps none: use UseSqliteStore, UsePostgreSqlStore or UseInMemoryStore, or register an IConsentRelayStore with UseRelayStore.");
        var ledger = services.GetService<IDataUseLedger>();
        var lineage = services.GetService<ILineageStore>() is null ? null : services.GetService<IModelLineage>();
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var logger = services.GetService<ILogger<ConsentRelayService>>() ?? (ILogger)NullLogger.Instance;
        var relays = new List<SubscriptionRelay>();
        foreach (var subscription in services.GetServices<ConsentRelaySubscription>())
        {
            var transport = subscription.Transport(services);
            if (transport is InProcessTransport { IsEmpty: true })
            {
                continue;
            }

            relays.Add(new SubscriptionRelay(subscription.Name, subscription.Filter, transport, store, relayStore, ledger, lineage, value, time, monitor, logger));
        }

        foreach (var (name, webhook) in value.Webhooks)
        {
            WebhookSecret.TryParse(webhook.Secret, out var key);
            var client = services.GetRequiredService<WebhookClients>().For(name);
            var filter = new ConsentChangeFilter { Purposes = [.. webhook.Purposes], Statuses = [.. webhook.Statuses] };
            relays.Add(new SubscriptionRelay(name, filter, new WebhookTransport(webhook.Url!, key!, value.Source, time, client), store, relayStore, ledger, lineage, value, time, monitor, logger));
        }

        return relays;
    }

    private static async Task ListenAsync(IConsentChangeNotifications notifications, List<SubscriptionRelay> relays, CancellationToken stoppingToken)
    {
        try
        {
            await notifications.ListenAsync(() => relays.ForEach(r => r.Wake()), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>One pooled HTTP client per webhook, disposed with the container.</summary>
internal sealed class WebhookClients : IDisposable
{
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    public HttpClient For(string name)
    {
        lock (_clients)
        {
            if (!_clients.TryGetValue(name, out var client))
            {
                // The relay's pipeline times each attempt; the client's own time-out stays out of the way.
                _clients[name] = client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = Timeout.InfiniteTimeSpan };
            }

            return client;
        }
    }

    public void Dispose()
    {
        lock (_clients)
        {
            foreach (var client in _clients.Values)
            {
                client.Dispose();
            }
        }
    }
}
