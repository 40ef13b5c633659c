using System.Security.Cryptography;
using ConsentKit.Receipts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.Cli;

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
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

/// <summary>ConsentKit over the store named on the command line, as an app would have it.</summary>
internal static class Services
{
    public static ServiceProvider Build(StoreSettings store, ReceiptSettings? receipts = null)
    {
        var services = new ServiceCollection();
        var kit = services.AddConsentKit().AddStandardPurposes();
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

        return services.BuildServiceProvider();
    }
}
