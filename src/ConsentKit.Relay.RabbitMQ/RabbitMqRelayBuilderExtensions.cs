using ConsentKit;
using ConsentKit.Relay;
using ConsentKit.Relay.RabbitMQ;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>RabbitMQ subscriptions for the consent relay.</summary>
public static class RabbitMqRelayBuilderExtensions
{
    /// <summary>
    /// Adds a subscription that publishes each change to RabbitMQ (<see cref="RabbitMqSubscriptionOptions"/>) with publisher
    /// confirms: the relay moves on only once the broker has the change. Bind a durable queue to the exchange
    /// (routing keys <c>consent.&lt;granted|refused|withdrawn&gt;.&lt;purpose&gt;</c>); a change no queue takes is retried, then
    /// dead-lettered. Call <c>AddConsentRelay</c> too.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The subscription's name.</param>
    /// <param name="configure">The broker, exchange and filter.</param>
    /// <exception cref="ArgumentException">The broker URI is missing or not amqp/amqps, or the exchange is empty (checked here, at registration).</exception>
    public static IConsentKitBuilder AddRabbitMqSubscription(this IConsentKitBuilder builder, string name, Action<RabbitMqSubscriptionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new RabbitMqSubscriptionOptions();
        configure(options);
        if (options.Uri is not { IsAbsoluteUri: true } uri || (uri.Scheme != "amqp" && uri.Scheme != "amqps"))
        {
            throw new ArgumentException($"RabbitMQ subscription '{name}': Uri must be an absolute amqp:// or amqps:// URI.", nameof(configure));
        }

        if (string.IsNullOrWhiteSpace(options.Exchange))
        {
            throw new ArgumentException($"RabbitMQ subscription '{name}': Exchange must not be empty.", nameof(configure));
        }

        var filter = new ConsentChangeFilter { Purposes = [.. options.Purposes], Statuses = [.. options.Statuses] };
        return builder.AddRelaySubscription(name, sp => new RabbitMqTransport(options, sp.GetRequiredService<IOptions<ConsentRelayOptions>>().Value.Source), filter);
    }
}
