using ConsentKit.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConsentKit.Relay.Tests;

/// <summary>An app with ConsentKit and the relay over a store the test shares between instances, with short timings.</summary>
internal sealed class RelayHost : IAsyncDisposable
{
    private RelayHost(IHost host) => Host = host;

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    public IConsentRecorder Recorder => Services.GetRequiredService<IConsentRecorder>();

    public IConsentRelay Relay => Services.GetRequiredService<IConsentRelay>();

    public static RelayHost Build(InMemoryConsentStore store, string instance, Action<IConsentKitBuilder>? configure = null, Action<ConsentRelayOptions>? options = null) =>
        Build(b => b.UseStore(_ => store).UseDataUseLedger(_ => store).UseLineageStore(_ => store).UseRelayStore(_ => store), instance, configure, options);

    /// <summary>An app over the store <paramref name="useStore"/> registers (SQLite, PostgreSQL).</summary>
    public static RelayHost Build(Action<IConsentKitBuilder> useStore, string instance, Action<IConsentKitBuilder>? configure = null, Action<ConsentRelayOptions>? options = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var consent = builder.Services.AddConsentKit().AddStandardPurposes();
        useStore(consent);
        consent
            .AddConsentRelay(o =>
            {
                o.InstanceId = instance;
                o.Source = new Uri("urn:consentkit:test");
                o.PollInterval = TimeSpan.FromMilliseconds(20);
                o.LeaseDuration = TimeSpan.FromSeconds(1);
                o.FirstRetryDelay = TimeSpan.FromMilliseconds(5);
                o.MaxRetryDelay = TimeSpan.FromMilliseconds(40);
                o.AttemptTimeout = TimeSpan.FromMilliseconds(500);
                o.MaxAttempts = 3;
                options?.Invoke(o);
            });
        configure?.Invoke(consent);
        return new RelayHost(builder.Build());
    }

    public static async Task<RelayHost> StartAsync(InMemoryConsentStore store, string instance, Action<IConsentKitBuilder>? configure = null, Action<ConsentRelayOptions>? options = null)
    {
        var host = Build(store, instance, configure, options);
        await host.Host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    public ValueTask<ConsentRecord> GrantAsync(string subject, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        Recorder.GrantAsync(subject, purpose, ConsentEvidence.FromUserInterface("1", "settings-page"), TestContext.Current.CancellationToken);

    public ValueTask<ConsentRecord> WithdrawAsync(string subject, string purpose = ConsentPurposes.GenerativeAiTraining) =>
        Recorder.WithdrawAsync(subject, purpose, ConsentEvidence.FromUserInterface("1", "settings-page"), TestContext.Current.CancellationToken);

    public async Task<ConsentRelayStatus> StatusAsync(string subscription) =>
        (await Relay.GetStatusAsync(TestContext.Current.CancellationToken)).Single(s => s.Name == subscription);

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync(CancellationToken.None);
        Host.Dispose();
    }
}
