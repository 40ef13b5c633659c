using System.Text;
using System.Text.Json;
using ConsentKit.Relay;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace ConsentKit.Samples.WebApp.Demo;

/// <summary>
/// The demo's partner: a webhook endpoint that receives the network's relay events (members withdrawing sharing) as
/// a real partner would — checking the Standard Webhooks signature and keeping each change once. Its secret is made on
/// first run, in a file next to the database; a real partner keeps it in its own secret store.
/// </summary>
public sealed class PartnerInbox
{
    private const int Kept = 50;
    private readonly StandardWebhook _verifier;
    private readonly LinkedList<Received> _received = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    private PartnerInbox(string secret)
    {
        Secret = secret;
        WebhookSecret.TryParse(secret, out var key);
        _verifier = new StandardWebhook(key!);
    }

    /// <summary>The shared secret the relay signs with.</summary>
    public string Secret { get; }

    /// <summary>The changes received, newest first.</summary>
    public IReadOnlyList<Received> Events
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public static PartnerInbox LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            File.WriteAllText(path, WebhookSecret.Create());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return new PartnerInbox(File.ReadAllText(path).Trim());
    }

    /// <summary>Takes one delivery: 401 when the signature does not check out, 204 otherwise (a repeat is acknowledged, not kept twice).</summary>
    public async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        try
        {
            _verifier.Verify(body, context.Request.Headers);
        }
        catch (WebhookVerificationException)
        {
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Bad signature", detail: "The webhook signature does not check out.");
        }

        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var id = root.GetProperty("id").GetString()!;
        lock (_received)
        {
            if (_seen.Add(root.GetProperty("source").GetString() + "#" + id))
            {
                _received.AddFirst(new Received(
                    id, root.GetProperty("type").GetString()!, root.GetProperty("subject").GetString()!,
                    root.GetProperty("data").GetProperty("purposeId").GetString()!, DateTimeOffset.UtcNow));
                if (_received.Count > Kept)
                {
                    _received.RemoveLast();
                }
            }
        }

        return Results.NoContent();
    }

    public sealed record Received(string Id, string Type, string Subject, string PurposeId, DateTimeOffset ReceivedAt);
}
