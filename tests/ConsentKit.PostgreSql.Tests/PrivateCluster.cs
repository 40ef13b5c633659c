using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>
/// A PostgreSQL cluster of the test's own, so it can stop and restart the server without disturbing the
/// tests that share the main one. Needs the server binaries and root (the server runs as the postgres
/// user, via runuser): what <c>.ci/run</c> has. Elsewhere the test skips, saying why; under CI=true it fails.
/// </summary>
internal sealed class PrivateCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _root;

    private readonly int _port;

    private PrivateCluster(string bin, string root, int port)
    {
        _bin = bin;
        _root = root;
        _port = port;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=5";
    }

    public string ConnectionString { get; }

    public static async Task<PrivateCluster> StartAsync(CancellationToken cancellationToken)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        var problem = bin is null ? "the PostgreSQL server binaries are not installed (apt-get install postgresql)"
            : Environment.UserName != "root" ? "it must run as root to start a server as the postgres user"
            : null;
        if (problem is not null)
        {
            var message = $"This test starts and restarts a PostgreSQL cluster of its own, but {problem}.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(message);
            }

            Assert.Skip(message);
        }

        var root = Directory.CreateTempSubdirectory("consentkit-pgtest-").FullName;
        var port = FreePort();
        var cluster = new PrivateCluster(bin!, root, port);
        await RunAsync("chown", ["postgres:postgres", root], cancellationToken);
        await cluster.PgAsync("initdb", ["-D", $"{root}/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], cancellationToken);
        await cluster.StartAgainAsync(cancellationToken);
        return cluster;
    }

    public Task RestartAsync(CancellationToken cancellationToken) => PgCtlAsync(["-m", "fast", "restart"], cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => PgCtlAsync(["-m", "fast", "stop"], cancellationToken);

    public Task StartAgainAsync(CancellationToken cancellationToken) =>
        PgCtlAsync(["-l", $"{_root}/server.log", "-o", $"-h 127.0.0.1 -p {_port} -k {_root}", "start"], cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgCtlAsync(["-m", "immediate", "stop"], CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_root, recursive: true);
    }

    private Task PgCtlAsync(string[] args, CancellationToken cancellationToken) =>
        PgAsync("pg_ctl", ["-D", $"{_root}/data", "-w", "-t", "60", .. args], cancellationToken);

    private Task PgAsync(string tool, string[] args, CancellationToken cancellationToken) =>
        RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args], cancellationToken);

    private static async Task RunAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await output} {await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
