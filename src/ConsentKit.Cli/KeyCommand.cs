using System.Security.Cryptography;

namespace ConsentKit.Cli;

/// <summary><c>new-key</c>: an ECDSA P-256 key pair for signing heads, receipts and audits, as PEM files.</summary>
internal static class KeyCommand
{
    public static async Task<int> NewKeyAsync(FileInfo privateFile, FileInfo? publicFile, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var publicPath = publicFile?.FullName ?? Path.ChangeExtension(privateFile.FullName, null) + ".public.pem";
        if (publicPath == privateFile.FullName)
        {
            await error.WriteLineAsync("--public must name another file than --out.");
            return ExitCodes.BadInput;
        }

        // A key that signed heads or receipts must never be replaced by accident: those would stop checking out.
        foreach (var path in new[] { privateFile.FullName, publicPath })
        {
            if (File.Exists(path))
            {
                await error.WriteLineAsync($"{path} exists; nothing was written. Choose another name, or move the old key away first.");
                return ExitCodes.BadInput;
            }
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            // Readable by its owner only, from the moment it exists.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var file = new StreamWriter(privateFile.FullName, options))
            {
                await file.WriteAsync(key.ExportPkcs8PrivateKeyPem().AsMemory(), ct);
                await file.WriteLineAsync();
            }

            await File.WriteAllTextAsync(publicPath, key.ExportSubjectPublicKeyInfoPem() + Environment.NewLine, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"The key could not be written: {ex.Message}");
            return ExitCodes.BadInput;
        }

        await output.WriteLineAsync($"Private key: {privateFile.FullName} (keep it secret; it signs).");
        await output.WriteLineAsync($"Public key:  {publicPath} (give it to whoever checks the signatures).");
        return ExitCodes.Ok;
    }
}
