using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace ConsentKit.Relay.Tests;

/// <summary>The relay publishing to a real RabbitMQ with publisher confirms, across a broker restart.</summary>
public sealed class RabbitMqRelayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryChange_ReachesTheQueue_AcrossABrokerRestart_WithNoneLost()
    {
        var broker = Broker(out var restart);
        var exchange = "consentkit.test." + Guid.NewGuid().ToString("N")[..8];
        var queue = exchange + ".partner";
        var received = Channel.CreateUnbounded<string>();
        var store = new InMemoryConsentStore();
        await using (var consumer = await Consumer.StartAsync(broker, exchange, queue, received))
        {
            await using var app = await RelayHost.StartAsync(store, "a", b => b.AddRabbitMqSubscription("broker", o =>
            {
                o.Uri = broker;
                o.Exchange = exchange;
            }), o => o.MaxAttempts = 100);
            var sequences = new List<long>();
            for (var i = 0; i < 20; i++)
            {
                sequences.Add((await app.GrantAsync($"member-{i}")).Sequence);
            }

            var seen = new HashSet<string>();
            while (seen.Count < 5)
            {
                seen.Add(await received.Reader.ReadAsync(Ct));
            }

            // The broker's application stops and starts: connections drop; confirmed messages are on disk.
            await RunAsync(restart);
            for (var i = 20; i < 40; i++)
            {
                sequences.Add((await app.GrantAsync($"member-{i}")).Sequence);
            }

            await using var again = await Consumer.StartAsync(broker, exchange, queue, received);
            var expected = sequences.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            while (!expected.IsSubsetOf(seen))
            {
                seen.Add(await received.Reader.ReadAsync(Ct));
            }

            seen.Should().BeEquivalentTo(expected, "every change arrived, and nothing else");
        }
    }

    private static Uri Broker(out string restart)
    {
        var uri = Environment.GetEnvironmentVariable("CONSENTKIT_TEST_RABBITMQ");
        restart = Environment.GetEnvironmentVariable("CONSENTKIT_TEST_RABBITMQ_RESTART") ?? "";
        if (!string.IsNullOrWhiteSpace(uri) && restart.Length > 0)
        {
            return new Uri(uri);
        }

        const string how = "No RabbitMQ: set CONSENTKIT_TEST_RABBITMQ (amqp://…) and CONSENTKIT_TEST_RABBITMQ_RESTART (a command that restarts it), or run `bash .ci/run`, which starts one.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("Under CI=true the RabbitMQ tests must run. " + how);
        }

        Assert.Skip(how);
        return null!;
    }

    private static async Task RunAsync(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await process.WaitForExitAsync(Ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed: {await process.StandardError.ReadToEndAsync(Ct)}");
        }
    }

    /// <summary>A consumer of the subscription's durable queue that acknowledges each message after noting its id.</summary>
    private sealed class Consumer : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly IChannel _channel;

        private Consumer(IConnection connection, IChannel channel) => (_connection, _channel) = (connection, channel);

        public static async Task<Consumer> StartAsync(Uri broker, string exchange, string queue, Channel<string> received)
        {
            var connection = await new ConnectionFactory { Uri = broker }.CreateConnectionAsync(Ct);
            var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: Ct);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: Ct);
            await channel.QueueBindAsync(queue, exchange, "consent.#", cancellationToken: Ct);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                await received.Writer.WriteAsync(delivery.BasicProperties.MessageId!);
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            };
            await channel.BasicConsumeAsync(queue, autoAck: false, consumer, Ct);
            return new Consumer(connection, channel);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _channel.DisposeAsync();
                await _connection.DisposeAsync();
            }
            catch (Exception ex) when (ex is global::RabbitMQ.Client.Exceptions.AlreadyClosedException or System.IO.IOException or ObjectDisposedException)
            {
                // The broker restart closed it already.
            }
        }
    }
}
