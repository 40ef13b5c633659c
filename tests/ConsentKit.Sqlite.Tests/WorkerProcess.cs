using System.Diagnostics;

namespace ConsentKit.Sqlite.Tests;

/// <summary>Runs ConsentKit.Sqlite.Worker as a real child process and collects its acknowledged sequences.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;

    private WorkerProcess(Process process) => _process = process;

    public List<long> Acknowledged { get; } = [];

    public static WorkerProcess Start(params string[] args)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "ConsentKit.Sqlite.Worker.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(worker);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start the worker."));
    }

    /// <summary>Reads acknowledgements until <paramref name="count"/> have arrived (or the worker ends).</summary>
    public async Task<bool> WaitForAcksAsync(int count, CancellationToken cancellationToken)
    {
        while (Acknowledged.Count < count)
        {
            var line = await _process.StandardOutput.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                return false;
            }

            Record(line);
        }

        return true;
    }

    /// <summary>SIGKILL, then collect every acknowledgement the worker printed before it died.</summary>
    public async Task KillAndDrainAsync(CancellationToken cancellationToken)
    {
        _process.Kill(entireProcessTree: true);
        await DrainAsync(cancellationToken);
    }

    public async Task<string> DrainAsync(CancellationToken cancellationToken)
    {
        string? line;
        while ((line = await _process.StandardOutput.ReadLineAsync(cancellationToken)) is not null)
        {
            Record(line);
        }

        await _process.WaitForExitAsync(cancellationToken);
        return await _process.StandardError.ReadToEndAsync(cancellationToken);
    }

    public int ExitCode => _process.ExitCode;

    public void Dispose() => _process.Dispose();

    private void Record(string line)
    {
        if (line.StartsWith("ack ", StringComparison.Ordinal))
        {
            Acknowledged.Add(long.Parse(line.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
