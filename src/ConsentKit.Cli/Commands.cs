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

    public static Task<int> VerifyAsync(StoreSettings store, AnchorSettings anchor, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, null, error, async services =>
        {
            var (head, problem, note) = await anchor.ResolveAsync(ct);
            if (problem is not null)
            {
                await error.WriteLineAsync(problem);
                return ExitCodes.Failed;
            }

            var result = await services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(head, ct);
            await (result.IsValid ? output : error).WriteLineAsync(result.ToString());
            if (note is not null)
            {
                await output.WriteLineAsync(note);
            }

            return result.IsValid ? ExitCodes.Ok : ExitCodes.Failed;
        });

    public static Task<int> HeadAsync(StoreSettings store, FileInfo? key, string? to, TextWriter output, TextWriter error, CancellationToken ct) =>
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
            string? signature = null;
            if (key is not null)
            {
                using var ecdsa = ECDsa.Create();
                ecdsa.ImportFromPem(await File.ReadAllTextAsync(key.FullName, ct));
                signature = result.Head.Sign(ecdsa);
                await output.WriteLineAsync(signature);
            }

            if (to is not null)
            {
                var anchor = new DirectoryConsentHeadAnchor(to);
                var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
                await anchor.AddAsync(new ConsentAnchoredHead { Head = result.Head, Signature = signature, AnchoredAt = now }, ct);
                await output.WriteLineAsync($"Anchored in {anchor.Directory}.");
            }

            return ExitCodes.Ok;
        });

    public static async Task<int> CheckHeadAsync(AnchorSettings anchor, TextWriter output, TextWriter error, CancellationToken ct)
    {
        try
        {
            if (anchor.AnchorKey is null)
            {
                await error.WriteLineAsync("check-head needs --anchor-key: the public key the head was signed with.");
                return ExitCodes.BadInput;
            }

            var (head, problem, note) = await anchor.ResolveAsync(ct);
            if (problem is not null)
            {
                await error.WriteLineAsync(problem);
                return ExitCodes.Failed;
            }

            await output.WriteLineAsync(head!.ToString());
            await output.WriteLineAsync(note);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or CryptographicException or IOException)
        {
            await error.WriteLineAsync(ex is ArgumentException argument ? ExitCodes.Sentence(argument) : ex.Message);
            return ExitCodes.BadInput;
        }
    }

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

        // No purposes registered: erasure closes whatever the subject has granted, for any purpose, and writes
        // no notice (an app's own texts for a standard id stay as they are).
        return RunAsync(store, null, error, purposes: false, command: async services =>
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

    public static Task<int> AuditDataUseAsync(StoreSettings store, ReceiptSettings receipts, AnchorSettings anchor, string dataUseId, TextWriter output, TextWriter error, CancellationToken ct) =>
        RunAsync(store, receipts, error, async services =>
        {
            var (head, problem, note) = await anchor.ResolveAsync(ct);
            if (problem is not null)
            {
                await error.WriteLineAsync(problem);
                return ExitCodes.Failed;
            }

            if (note is not null)
            {
                await output.WriteLineAsync(note);
            }

            var auditor = services.GetRequiredService<IDataUseAuditor>();
            var signed = head is null ? await auditor.AuditAsync(dataUseId, ct) : await auditor.AuditAnchoredAsync(dataUseId, head, ct);
            if (signed is null)
            {
                await error.WriteLineAsync($"There is no data use '{dataUseId}'.");
                return ExitCodes.Failed;
            }

            await output.WriteLineAsync(signed.Audit.Summary);
            await output.WriteLineAsync(signed.Token);
            return signed.Audit.Passed ? ExitCodes.Ok : ExitCodes.Failed;
        });

    private static async Task<int> RunAsync(StoreSettings store, ReceiptSettings? receipts, TextWriter error, Func<IServiceProvider, Task<int>> command, bool purposes = true)
    {
        try
        {
            if (store.Problem() is { } problem)
            {
                await error.WriteLineAsync(problem);
                return ExitCodes.BadInput;
            }

            await using var services = Services.Build(store, receipts, purposes);
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
            await error.WriteLineAsync(ex is ArgumentException argument ? ExitCodes.Sentence(argument) : ex.Message);
            return ExitCodes.BadInput;
        }
        catch (ConsentStoreException ex)
        {
            await error.WriteLineAsync("The store could not be used: " + ex.Message);
            return ExitCodes.BadInput;
        }
    }
}
