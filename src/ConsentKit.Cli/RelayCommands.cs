using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ConsentKit.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Cli;

/// <summary>
/// <c>relay status | dead-letters | replay | rewind</c>: the relay's state as the store keeps it, for any app's
/// subscriptions (the relay itself runs in the app), and <c>new-webhook-secret</c>.
/// </summary>
internal static class RelayCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Task<int> StatusAsync(StoreSettings store, bool json, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, error, async (relay, consent) =>
        {
            var newest = await consent.GetLastSequenceAsync(ct);
            var now = TimeProvider.System.GetUtcNow();
            var rows = (await relay.GetSubscriptionsAsync(ct)).Select(s => new
            {
                name = s.Name,
                position = s.Position,
                behind = Math.Max(0, newest - s.Position),
                activeInstance = s.LeaseExpiresAt > now ? s.LeaseHolder : null,
                deadLetters = s.DeadLetters,
                replayRequested = s.ReplayRequested,
                lastError = s.LastError,
                lastErrorAt = s.LastErrorAt,
            }).ToList();
            await output.WriteLineAsync(json
                ? JsonSerializer.Serialize(new { newestSequence = newest, subscriptions = rows }, Json)
                : rows.Count == 0
                    ? "No relay subscription has run on this store."
                    : LineageCommands.Table(
                        ["subscription", "position", "behind", "active", "dead letters", "last error"],
                        rows.Select(r => new[]
                        {
                            r.name, $"{r.position}", $"{r.behind}", r.activeInstance ?? "-",
                            r.deadLetters == 0 ? "0" : $"{r.deadLetters}{(r.replayRequested ? " (replay asked)" : "")}", r.lastError ?? "-",
                        })));
            return ExitCodes.Ok;
        });

    public static Task<int> DeadLettersAsync(StoreSettings store, string subscription, bool json, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, error, async (relay, _) =>
        {
            if (await UnknownAsync(relay, subscription, error, ct))
            {
                return ExitCodes.BadInput;
            }

            var letters = await relay.GetDeadLettersAsync(subscription, ct);
            await output.WriteLineAsync(json
                ? JsonSerializer.Serialize(letters, Json)
                : letters.Count == 0
                    ? $"'{subscription}' has no dead letters."
                    : LineageCommands.Table(
                        ["sequence", "attempts", "dead-lettered", "error"],
                        letters.Select(l => new[] { $"{l.Sequence}", $"{l.Attempts}", l.DeadLetteredAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), l.Error })));
            return ExitCodes.Ok;
        });

    public static Task<int> ReplayAsync(StoreSettings store, string subscription, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, error, async (relay, _) =>
        {
            if (await UnknownAsync(relay, subscription, error, ct))
            {
                return ExitCodes.BadInput;
            }

            var count = await relay.RequestReplayAsync(subscription, ct);
            await output.WriteLineAsync(count == 0
                ? $"'{subscription}' has no dead letters: nothing to replay."
                : $"{count} dead letter(s) of '{subscription}' will be delivered again, oldest first, by the relay that holds it.");
            return ExitCodes.Ok;
        });

    public static Task<int> RewindAsync(StoreSettings store, string subscription, long after, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, error, async (relay, _) =>
        {
            if (after < 0)
            {
                await error.WriteLineAsync("--after must be 0 or more.");
                return ExitCodes.BadInput;
            }

            if (await UnknownAsync(relay, subscription, error, ct))
            {
                return ExitCodes.BadInput;
            }

            await relay.MoveAsync(subscription, after, ct);
            await output.WriteLineAsync($"'{subscription}' delivers again from after sequence {after} (receivers drop what they already have by id).");
            return ExitCodes.Ok;
        });

    public static async Task<int> NewWebhookSecretAsync(TextWriter output)
    {
        // The Standard Webhooks form: whsec_ and the base64 of the key.
        await output.WriteLineAsync("whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        return ExitCodes.Ok;
    }

    private static async Task<bool> UnknownAsync(IConsentRelayStore relay, string subscription, TextWriter error, CancellationToken ct)
    {
        var known = (await relay.GetSubscriptionsAsync(ct)).Select(s => s.Name).ToList();
        if (known.Contains(subscription, StringComparer.Ordinal))
        {
            return false;
        }

        await error.WriteLineAsync($"No relay subscription '{subscription}' has run on this store{(known.Count == 0 ? "" : "; there are: " + string.Join(", ", known))}. Nothing was changed.");
        return true;
    }

    private static Task<int> RunAsync(StoreSettings store, TextWriter error, Func<IConsentRelayStore, IConsentStore, Task<int>> command) =>
        ExitCodes.GuardAsync(store, error, async () =>
        {
            await using var services = Services.Build(store, null, purposes: false);
            if (services.GetService<IConsentRelayStore>() is not { } relay)
            {
                await error.WriteLineAsync("This store keeps no relay state.");
                return ExitCodes.BadInput;
            }

            return await command(relay, services.GetRequiredService<IConsentStore>());
        });
}
