namespace ConsentKit.Relay;

/// <summary>
/// How the relay runs and where it delivers. Webhook subscriptions can come from configuration
/// (<c>ConsentKit:Relay:Webhooks:partner:Url</c>, <c>…:Secret</c>, <c>…:Purposes</c>, <c>…:Statuses</c>); others are
/// added in code. Everything is checked at start.
/// </summary>
public sealed class ConsentRelayOptions
{
    /// <summary>The CloudEvents <c>source</c> of every event, e.g. <c>urn:consentkit:demo-network</c>; default <c>urn:consentkit</c>.</summary>
    public Uri Source { get; set; } = new("urn:consentkit");

    /// <summary>Changes read from the feed at a time; default 100 (1 to 10,000).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How long the relay waits for new changes when the store cannot notify it; default 1 second.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a lease lasts without renewal: another instance takes over a dead one's subscriptions after it. Default 15 seconds.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts per change before it goes to the dead letters; default 6 (1 to 100).</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The wait before the second attempt; it doubles after each (with jitter). Default 1 second.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts; default 1 minute.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long one delivery attempt may take; default 10 seconds. A stopping host lets an attempt already sent
    /// finish within it (and within the host's own shutdown time-out), so the change is not sent again by the
    /// instance that takes over; the waits between attempts end at once.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The health check degrades when a subscription is this far behind the newest change, or holds dead letters. Default 5 minutes.</summary>
    public TimeSpan LagThreshold { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>This instance's name on its leases; default machine name, process id and a random suffix.</summary>
    public string InstanceId { get; set; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Webhook subscriptions by name.</summary>
    public Dictionary<string, WebhookSubscriptionOptions> Webhooks { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A webhook: each change POSTed as a structured CloudEvent, signed with the Standard Webhooks scheme
/// (<c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c>). 2xx is delivered; 408, 429, 5xx and network
/// errors are retried; any other status goes to the dead letters at once.
/// </summary>
public sealed class WebhookSubscriptionOptions
{
    /// <summary>The receiver's absolute http(s) URL.</summary>
    public Uri? Url { get; set; }

    /// <summary>The shared secret, <c>whsec_</c> and the base64 of 24 to 64 random bytes (<c>consentkit new-webhook-secret</c> makes one).</summary>
    public string? Secret { get; set; }

    /// <summary>Only these purposes and their descendants; all when empty.</summary>
    public List<string> Purposes { get; } = [];

    /// <summary>Only these statuses; all when empty.</summary>
    public List<ConsentStatus> Statuses { get; } = [];
}
