using System.Net.Http.Headers;
using System.Text;

namespace ConsentKit.OpenLineage;

/// <summary>
/// Posts each event as JSON to an OpenLineage HTTP endpoint, e.g. Marquez's <c>http://marquez:5000/api/v1/lineage</c>
/// (the OpenLineage "http" transport). Any status other than 2xx is a failed delivery.
/// </summary>
public sealed class HttpOpenLineageTransport : IOpenLineageTransport, IDisposable
{
    private readonly HttpClient _client;
    private readonly bool _ownsClient;

    /// <summary>Creates the transport with its own <see cref="HttpClient"/>.</summary>
    /// <param name="endpoint">The absolute http(s) URL events are posted to.</param>
    /// <param name="apiKey">Sent as <c>Authorization: Bearer</c>, when set.</param>
    /// <param name="timeout">How long one delivery may take.</param>
    public HttpOpenLineageTransport(Uri endpoint, string? apiKey, TimeSpan timeout)
        : this(new HttpClient { Timeout = timeout }, endpoint, apiKey)
    {
        _ownsClient = true;
    }

    /// <summary>Creates the transport over a client you manage (e.g. from <c>IHttpClientFactory</c>).</summary>
    /// <param name="client">The client.</param>
    /// <param name="endpoint">The absolute http(s) URL events are posted to.</param>
    /// <param name="apiKey">Sent as <c>Authorization: Bearer</c>, when set.</param>
    public HttpOpenLineageTransport(HttpClient client, Uri endpoint, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{endpoint}' is not an absolute http or https URL.", nameof(endpoint));
        }

        _client = client;
        Endpoint = endpoint;
        ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey;
    }

    /// <summary>Where events go.</summary>
    public Uri Endpoint { get; }

    private string? ApiKey { get; }

    /// <inheritdoc />
    public async ValueTask EmitAsync(OpenLineageRunEvent runEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runEvent);
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint)
        {
            Content = new StringContent(runEvent.ToJson(), Encoding.UTF8, "application/json"),
        };
        if (ApiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }

        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new OpenLineageDeliveryException($"The OpenLineage endpoint {Endpoint} could not be reached: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OpenLineageDeliveryException($"The OpenLineage endpoint {Endpoint} did not answer within {_client.Timeout.TotalSeconds:0.#} s.", ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new OpenLineageDeliveryException($"The OpenLineage endpoint {Endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }
}
