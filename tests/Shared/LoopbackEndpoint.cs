using System.Net;
using System.Net.Sockets;

namespace ConsentKit.Tests.Shared;

/// <summary>
/// A real HTTP endpoint on the loopback, on a free port, that hands each request to a handler: what a webhook receiver,
/// a lineage collector or a partner looks like to the code under test. The handler answers (or holds) the request.
/// </summary>
internal sealed class LoopbackEndpoint : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public LoopbackEndpoint(Func<HttpListenerContext, Task> handle)
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                // Each request on its own: a held one must not stop the next.
                _ = Task.Run(() => handle(context));
            }
        });
    }

    public int Port { get; }

    /// <summary>A URL on this endpoint.</summary>
    public Uri Url(string path) => new($"http://127.0.0.1:{Port}/{path.TrimStart('/')}");

    /// <summary>The request's body as text.</summary>
    public static async Task<string> BodyAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, System.Text.Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Close();
        _ = _loop.Exception;
    }
}
