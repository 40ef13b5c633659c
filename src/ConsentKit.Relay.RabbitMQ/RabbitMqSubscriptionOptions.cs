namespace ConsentKit.Relay.RabbitMQ;

/// <summary>A RabbitMQ subscription: the broker, the exchange, and which changes go there.</summary>
public sealed class RabbitMqSubscriptionOptions
{
    /// <summary>The broker, e.g. <c>amqp://user:password@rabbit:5672/vhost</c>.</summary>
    public Uri? Uri { get; set; }

    /// <summary>The durable topic exchange changes are published to (declared if missing); default <c>consentkit.changes</c>.</summary>
    public string Exchange { get; set; } = "consentkit.changes";

    /// <summary>Only these purposes and their descendants; all when empty.</summary>
    public List<string> Purposes { get; } = [];

    /// <summary>Only these statuses; all when empty.</summary>
    public List<ConsentStatus> Statuses { get; } = [];
}
