using System.Globalization;
using System.Net;
using System.Text;
using StandardWebhooks;

namespace ConsentKit.Relay;

/// <summary>
/// POSTs each change as a structured JSON CloudEvent, signed with the Standard Webhooks scheme. The message id is the
/// change's id, the same on every retry and replay, so the receiver can drop duplicates.
/// </summary>
internal sealed class WebhookTransport(Uri url, byte[] key, Uri source, TimeProvider time, HttpClient client) : IConsentChangeTransport
{
    private readonly StandardWebhook _signer = new(key);

    public async ValueTask DeliverAsync(ConsentChange change, CancellationToken cancellationToken)
    {
        var payload = ConsentCloudEvents.ToJson(change, source);
        var timestamp = time.GetUtcNow();
        var signature = _signer.Sign(change.Id, timestamp, Encoding.UTF8.GetString(payload.Span));
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ReadOnlyMemoryContent(payload) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", ConsentCloudEvents.StructuredContentType);
        request.Headers.Add("webhook-id", change.Id);
        request.Headers.Add("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new ConsentDeliveryException($"{url.GetLeftPart(UriPartial.Path)} could not be reached: {ex.Message}", ex);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return;
            }

            var retry = status is 408 or 429 or >= 500;
            throw new ConsentDeliveryException($"{url.GetLeftPart(UriPartial.Path)} answered {status} {response.ReasonPhrase}.", isPermanent: !retry);
        }
    }
}
