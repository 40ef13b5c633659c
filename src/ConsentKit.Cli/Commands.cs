using System.Security.Cryptography;
using System.Text.Json;
using ConsentKit.Receipts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConsentKit.Cli;

/// <summary>The tool's commands. Each returns an exit code and writes results to <c>output</c>, problems to <c>error</c>.</summary>
internal static class Commands
{
    private static readonly JsonSerializerOptions Indented = new(ConsentReceiptJson.Options) { WriteIndented = true };

    public static Task<int> VerifyAsync(StoreSettings store, string? anchor, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, null, error, async services =>
        {
            var head = anchor is null ? null : ConsentChainHead.Parse(anchor);
            var result = await services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(head, ct);
            await (result.IsValid ? output : error).WriteLineAsync(result.ToString());
            return result.IsValid ? ExitCodes.Ok : ExitCodes.Failed;
        });

    public static Task<int> HeadAsync(StoreSettings store, FileInfo? key, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, null, error, async services =>
        {
            // The head is only worth keeping if the history up to it verifies.
            var result = await services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct);
            if (!result.IsValid)
            {
                await error.WriteLineAsync(result.ToString());
                return ExitCodes.Failed;
            }

            await output.WriteLineAsync(result.Head.ToString());
            if (key is not null)
            {
                using var ecdsa = ECDsa.Create();
                ecdsa.ImportFromPem(await File.ReadAllTextAsync(key.FullName, ct));
                await output.WriteLineAsync(result.Head.Sign(ecdsa));
            }

            return ExitCodes.Ok;
        });

    public static Task<int> ExportSubjectAsync(StoreSettings store, ReceiptSettings receipts, string subject, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, receipts, error, async services =>
        {
            var export = await services.GetRequiredService<IConsentSubjectExporter>().ExportAsync(subject, ct);
            await output.WriteLineAsync(JsonSerializer.Serialize(export, Indented));
            return ExitCodes.Ok;
        });

    public static Task<int> EraseSubjectAsync(StoreSettings store, string subject, bool confirmed, TextWriter output, TextWriter error, CancellationToken ct)
    {
        if (!confirmed)
        {
            error.WriteLine("Erasure cannot be undone: add --yes to erase.");
            return Task.FromResult(ExitCodes.BadInput);
        }

        return RunAsync(store, null, error, async services =>
        {
            var result = await services.GetRequiredService<IConsentRecorder>().EraseSubjectAsync(subject, new ConsentEvidence { Method = ConsentMethod.Operator, Source = "consentkit-cli" }, ct);
            await output.WriteLineAsync(result.Erased
                ? $"Erased {subject}: {result.Withdrawals.Count} purpose(s) withdrawn first; the records remain, linked to no one."
                : $"Nothing to erase: {subject} has no records.");
            return result.Erased ? ExitCodes.Ok : ExitCodes.Failed;
        });
    }

    public static Task<int> ReceiptAsync(StoreSettings store, ReceiptSettings receipts, string subject, long sequence, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, receipts, error, async services =>
        {
            var receipt = await services.GetRequiredService<IConsentReceipts>().IssueAsync(subject, sequence, ct);
            if (receipt is null)
            {
                await error.WriteLineAsync($"{subject} has no record #{sequence}.");
                return ExitCodes.Failed;
            }

            await output.WriteLineAsync(receipt.Token);
            return ExitCodes.Ok;
        });

    public static Task<int> AuditDataUseAsync(StoreSettings store, ReceiptSettings receipts, string dataUseId, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, receipts, error, async services =>
        {
            var signed = await services.GetRequiredService<IDataUseAuditor>().AuditAsync(dataUseId, ct);
            if (signed is null)
            {
                await error.WriteLineAsync($"There is no data use '{dataUseId}'.");
                return ExitCodes.Failed;
            }

            await output.WriteLineAsync(signed.Audit.Summary);
            await output.WriteLineAsync(signed.Token);
            return signed.Audit.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        });

    private static async Task<int> RunAsync(StoreSettings store, ReceiptSettings? receipts, TextWriter error, Func<IServiceProvider, Task<int>> command)
    {
        try
        {
            if (store.Problem() is { } problem)
            {
                await error.WriteLineAsync(problem);
                return ExitCodes.BadInput;
            }

            await using var services = Services.Build(store, receipts);
            if (receipts is not null)
            {
                _ = services.GetRequiredService<IOptions<ConsentReceiptOptions>>().Value;
            }

            return await command(services);
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync("Receipts need: " + string.Join(" ", ex.Failures) + " (use --key, --controller-name, --controller-contact, --withdrawal-method).");
            return ExitCodes.BadInput;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or CryptographicException or IOException)
        {
            await error.WriteLineAsync(ex.Message);
            return ExitCodes.BadInput;
        }
        catch (ConsentStoreException ex)
        {
            await error.WriteLineAsync("The store could not be used: " + ex.Message);
            return ExitCodes.BadInput;
        }
    }
}
