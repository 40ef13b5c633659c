using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using ConsentKit.Tests.Shared;

namespace ConsentKit.Relay.Tests;

/// <summary>
/// A real HTTP endpoint on the loopback standing in for a partner: it checks each request's Standard Webhooks signature
/// itself (HMAC-SHA-256 over "id.timestamp.body"), answers with what <see cref="Answer"/> says, and keeps what it got.
/// </summary>
internal sealed class WebhookReceiver : IDisposable
{
    private readonly LoopbackEndpoint _endpoint;
    private readonly byte[] _key;
    private readonly Channel<Delivery> _accepted = Channel.CreateUnbounded<Delivery>();
    private int _requests;

    public WebhookReceiver(string secret)
    {
        _key = Convert.FromBase64String(secret["whsec_".Length..]);
        _endpoint = new LoopbackEndpoint(HandleAsync);
        Url = _endpoint.Url("/hooks/consent");
    }

    public Uri Url { get; }

    /// <summary>What to answer the n-th request (1-based) with this body; <see langword="null"/> holds it unanswered until the receiver is disposed.</summary>
    public Func<int, string, HttpStatusCode?> Answer { get; set; } = (_, _) => HttpStatusCode.NoContent;

    /// <summary>Every request, answered or not, in arrival order.</summary>
    public ConcurrentQueue<Delivery> Received { get; } = new();

    /// <summary>Signalled when a request is held.</summary>
    public TaskCompletionSource<Delivery> Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Waits until <paramref name="count"/> deliveries were answered 2xx, returning them.</summary>
    public async Task<List<Delivery>> AcceptedAsync(int count, CancellationToken cancellationToken)
    {
        var accepted = new List<Delivery>();
        while (accepted.Count < count)
        {
            accepted.Add(await _accepted.Reader.ReadAsync(cancellationToken));
        }

        return accepted;
    }

    public void Dispose() => _endpoint.Dispose();

    public static int FreePort() => LoopbackEndpoint.FreePort();

    private async Task HandleAsync(HttpListenerContext context)
    {
        var body = await LoopbackEndpoint.BodyAsync(context);
        var id = context.Request.Headers["webhook-id"] ?? "";
        var timestamp = context.Request.Headers["webhook-timestamp"] ?? "";
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
        var signatures = (context.Request.Headers["webhook-signature"] ?? "").Split(' ');
        var delivery = new Delivery(id, body, signatures.Contains(expected), context.Request.ContentType);
        Received.Enqueue(delivery);
        var answer = Answer(Interlocked.Increment(ref _requests), body);
        if (answer is null)
        {
            Held.TrySetResult(delivery);
            return;
        }

        context.Response.StatusCode = (int)answer;
        context.Response.Close();
        if ((int)answer is >= 200 and < 300)
        {
            await _accepted.Writer.WriteAsync(delivery);
        }
    }

    internal sealed record Delivery(string Id, string Body, bool SignatureValid, string? ContentType)
    {
        public long Sequence => long.Parse(Id, System.Globalization.CultureInfo.InvariantCulture);
    }
}
