using System.Globalization;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace ConsentKit.Relay.RabbitMQ;

/// <summary>
/// Publishes each change as a persistent structured CloudEvent to a durable topic exchange, routing key
/// <c>consent.&lt;status&gt;.&lt;purpose&gt;</c>, and returns only when the broker confirmed it (publisher confirms,
/// mandatory: a change no queue is bound for is a failed delivery, not a silent drop). A failure drops the
/// connection; the next attempt opens a new one.
/// </summary>
internal sealed class RabbitMqTransport(RabbitMqSubscriptionOptions options, Uri source) : IConsentChangeTransport, IAsyncDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    public async ValueTask DeliverAsync(ConsentChange change, CancellationToken cancellationToken)
    {
        var payload = ConsentCloudEvents.ToJson(change, source);
        var properties = new BasicProperties
        {
            MessageId = change.Id,
            ContentType = ConsentCloudEvents.StructuredContentType,
            Type = ConsentCloudEvents.TypePrefix + change.Record.Status.ToString().ToLowerInvariant(),
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(change.Record.RecordedAt.ToUnixTimeSeconds()),
        };
        var routingKey = string.Create(CultureInfo.InvariantCulture, $"consent.{change.Record.Status.ToString().ToLowerInvariant()}.{change.Record.PurposeId}");
        await _turn.WaitAsync(cancellationToken);
        try
        {
            var channel = await ChannelAsync(cancellationToken);
            await channel.BasicPublishAsync(options.Exchange, routingKey, mandatory: true, properties, payload, cancellationToken);
        }
        catch (PublishReturnException ex)
        {
            throw new ConsentDeliveryException($"RabbitMQ returned change {change.Id}: no queue is bound to exchange '{options.Exchange}' for '{routingKey}' ({ex.ReplyText}).", ex);
        }
        catch (Exception ex) when (ex is PublishException or BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or System.IO.IOException)
        {
            await DropAsync();
            throw new ConsentDeliveryException($"RabbitMQ did not confirm change {change.Id}: {ex.Message}", ex);
        }
        catch (OperationCanceledException)
        {
            // An attempt that timed out may have left the channel mid-publish: start clean next time.
            await DropAsync();
            throw;
        }
        finally
        {
            _turn.Release();
        }
    }

    public async ValueTask DisposeAsync() => await DropAsync();

    private async ValueTask<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await DropAsync();
        var factory = new ConnectionFactory { Uri = options.Uri!, AutomaticRecoveryEnabled = false, ClientProvidedName = "consentkit-relay" };
        _connection = await factory.CreateConnectionAsync(cancellationToken);
        _channel = await _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        await _channel.ExchangeDeclareAsync(options.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        return _channel;
    }

    private async ValueTask DropAsync()
    {
        var (channel, connection) = (_channel, _connection);
        (_channel, _connection) = (null, null);
        try
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
        catch (Exception ex) when (ex is OperationInterruptedException or AlreadyClosedException or System.IO.IOException or ObjectDisposedException)
        {
            // Already gone.
        }
    }
}
