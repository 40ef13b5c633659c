using System.Security.Cryptography;
using ConsentKit.Receipts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.Cli;

internal static class ExitCodes
{
    /// <summary>The error as a sentence for the terminal: without .NET's " (Parameter 'x')" suffix.</summary>
    public static string Sentence(ArgumentException ex) =>
        ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message;

    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    /// <summary>
    /// Runs a command on a store: a store that cannot be opened, an argument refused or a store fault is exit 2 with
    /// one line on standard error, never a stack trace.
    /// </summary>
    public static async Task<int> GuardAsync(StoreSettings store, TextWriter error, Func<Task<int>> command)
    {
        try
        {
            if (store.Problem() is { } problem)
            {
                await error.WriteLineAsync(problem);
                return BadInput;
            }

            return await command();
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync(Sentence(ex));
            return BadInput;
        }
        catch (ConsentStoreException ex)
        {
            await error.WriteLineAsync("The store could not be used: " + ex.Message);
            return BadInput;
        }
    }
}

/// <summary>Which store, from the command line.</summary>
internal sealed record StoreSettings(string ConnectionString, string? Kind, string? Schema)
{
    public bool IsPostgreSql => (Kind ?? (ConnectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase) ? "postgresql" : "sqlite")) switch
    {
        "postgresql" => true,
        "sqlite" => false,
        var other => throw new ArgumentException($"--store must be sqlite or postgresql, not '{other}'.", "--store"),
    };

    /// <summary>Problems that stop the tool before it touches anything; a SQLite file that is not there would otherwise be created empty.</summary>
    public string? Problem()
    {
        if (IsPostgreSql)
        {
            return null;
        }

        string path;
        try
        {
            path = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        }
        catch (ArgumentException ex)
        {
            return "--connection is not a SQLite connection string: " + ex.Message;
        }

        return File.Exists(path) ? null : $"There is no SQLite database at '{Path.GetFullPath(path)}'.";
    }
}

/// <summary>The controller details and key receipts and audits are signed with.</summary>
internal sealed record ReceiptSettings(FileInfo? Key, string? KeyId, string? ControllerName, string? ControllerContact, string? WithdrawalMethod)
{
    public static ECDsaSecurityKey LoadKey(FileInfo file, string? keyId)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(file.FullName));
        return new ECDsaSecurityKey(key) { KeyId = keyId ?? Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16] };
    }
}

/// <summary>
/// A head kept outside the database, from the command line: a head's line, a file written by an anchor
/// (the line, then its signature), or an anchor directory (its latest head); and the public key that
/// checks its signature.
/// </summary>
internal sealed record AnchorSettings(string? Anchor, FileInfo? AnchorKey)
{
    /// <summary>The head, its signature checked when a key was given; a problem (exit 1) when the signature does not check out.</summary>
    public async Task<(ConsentChainHead? Head, string? Problem, string? Note)> ResolveAsync(CancellationToken cancellationToken)
    {
        if (Anchor is null)
        {
            return AnchorKey is null ? (null, null, null) : throw new ArgumentException("--anchor-key needs --anchor: the head whose signature it checks.");
        }

        ConsentAnchoredHead? anchored;
        if (Anchor.TrimStart().StartsWith("consentkit-chain-head:", StringComparison.Ordinal))
        {
            anchored = new ConsentAnchoredHead { Head = ConsentChainHead.Parse(Anchor), AnchoredAt = default };
        }
        else if (Directory.Exists(Anchor))
        {
            anchored = await new DirectoryConsentHeadAnchor(Anchor).GetLatestAsync(cancellationToken)
                ?? throw new ArgumentException($"The anchor directory '{Path.GetFullPath(Anchor)}' holds no head.");
        }
        else if (File.Exists(Anchor))
        {
            var lines = await File.ReadAllLinesAsync(Anchor, cancellationToken);
            anchored = new ConsentAnchoredHead
            {
                Head = ConsentChainHead.Parse(lines.FirstOrDefault() ?? string.Empty),
                Signature = lines.Length > 1 && lines[1].Trim().Length > 0 ? lines[1].Trim() : null,
                AnchoredAt = default,
            };
        }
        else
        {
            throw new ArgumentException($"--anchor is neither a chain head line, a file nor a directory: '{Anchor}'.");
        }

        if (AnchorKey is null)
        {
            return (anchored.Head, null, anchored.Signature is null ? null : "The anchored head's signature was not checked: give --anchor-key.");
        }

        using var key = ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(AnchorKey.FullName, cancellationToken));
        return anchored.Signature is { } signature && anchored.Head.HasValidSignature(signature, key)
            ? (anchored.Head, null, $"The anchored head's signature checks out with {AnchorKey.Name}.")
            : (null, anchored.Signature is null
                ? "The anchored head carries no signature to check with --anchor-key."
                : $"The anchored head's signature does not check out with {AnchorKey.Name}: the head was changed or signed with another key.", null);
    }
}

/// <summary>ConsentKit over the store named on the command line, as an app would have it.</summary>
internal static class Services
{
    /// <param name="store">The store.</param>
    /// <param name="receipts">Receipt settings, for the commands that sign.</param>
    /// <param name="purposes">
    /// Whether to register the standard purposes (for names and decisions). Commands that write never do:
    /// registering purposes makes the recorder keep their notice texts, which the tool was not asked to write
    /// (and which conflict with an app's own texts for a standard id).
    /// </param>
    /// <param name="known">Purposes to register instead of the standard ones (see <see cref="BuildWithStorePurposesAsync"/>).</param>
    /// <param name="configure">More registrations (the import).</param>
    public static ServiceProvider Build(StoreSettings store, ReceiptSettings? receipts = null, bool purposes = true, IReadOnlyList<ConsentPurpose>? known = null, Action<IConsentKitBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        var kit = services.AddConsentKit();
        if (known is not null)
        {
            foreach (var purpose in known)
            {
                kit.AddPurpose(purpose);
            }
        }
        else if (purposes)
        {
            kit.AddStandardPurposes();
        }

        if (store.IsPostgreSql)
        {
            kit.UsePostgreSqlStore(o =>
            {
                o.ConnectionString = store.ConnectionString;
                o.SchemaName = store.Schema ?? o.SchemaName;
            });
        }
        else
        {
            kit.UseSqliteStore(store.ConnectionString);
        }

        if (receipts is not null)
        {
            kit.AddReceipts(o =>
            {
                o.ControllerName = receipts.ControllerName ?? string.Empty;
                o.ControllerContact = receipts.ControllerContact ?? string.Empty;
                o.WithdrawalMethod = receipts.WithdrawalMethod ?? string.Empty;
                o.SigningKey = receipts.Key is { } file ? ReceiptSettings.LoadKey(file, receipts.KeyId) : null;
            });
        }

        configure?.Invoke(kit);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// ConsentKit with the purposes the store itself knows: each purpose with a kept notice, at its latest
    /// version, so decisions match the app's (its own purposes included) without the tool being told them.
    /// Lifetimes are not kept in the store: a grant then ends only at the expiry recorded with it.
    /// </summary>
    public static async Task<ServiceProvider> BuildWithStorePurposesAsync(StoreSettings store, CancellationToken cancellationToken, Action<IConsentKitBuilder>? configure = null)
    {
        IReadOnlyList<ConsentNotice> notices;
        await using (var bare = Build(store, purposes: false))
        {
            notices = await bare.GetRequiredService<IConsentStore>().GetNoticesAsync(cancellationToken);
        }

        var latest = new Dictionary<string, ConsentNotice>(StringComparer.Ordinal);
        foreach (var notice in notices)
        {
            latest[notice.PurposeId] = notice;
        }

        // A parent without a kept notice of its own is registered by name so that its children can be.
        foreach (var id in latest.Keys.ToList())
        {
            for (var parent = ConsentPurposeId.GetParent(id); parent is not null && !latest.ContainsKey(parent); parent = ConsentPurposeId.GetParent(parent))
            {
                latest[parent] = new ConsentNotice { PurposeId = parent, NoticeVersion = "1", DisplayName = parent, Text = parent };
            }
        }

        return Build(store, known: [.. latest.Values.Select(n => new ConsentPurpose(n.PurposeId, n.DisplayName, n.Text, n.NoticeVersion))], configure: configure);
    }
}
