using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.Samples.WebApp.Demo;

/// <summary>
/// The demo's receipt signing key: a P-256 key in a PEM file next to the database, made on first run.
/// A real deployment keeps it in a key vault, never beside the data it vouches for.
/// </summary>
internal static class ReceiptSigningKey
{
    public static ECDsaSecurityKey LoadOrCreate(string path)
    {
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            key.GenerateKey(ECCurve.NamedCurves.nistP256);
            File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        // The key id names the key by its public half, so a rotated key gets a new one.
        var id = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
        return new ECDsaSecurityKey(key) { KeyId = id };
    }
}
