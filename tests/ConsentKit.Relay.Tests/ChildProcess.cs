using System.Diagnostics;
using System.Threading.Channels;

namespace ConsentKit.Relay.Tests;

/// <summary>A real child process whose standard output the test reads line by line.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Task _pump;

    private ChildProcess(Process process)
    {
        _process = process;
        _pump = Task.Run(async () =>
        {
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync()) is not null)
            {
                await _lines.Writer.WriteAsync(line);
            }

            _lines.Writer.Complete();
        });
    }

    /// <summary>Starts ConsentKit.Relay.Worker with <paramref name="args"/>.</summary>
    public static ChildProcess Worker(IDictionary<string, string>? environment, params string[] args) =>
        Start(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", [Path.Combine(AppContext.BaseDirectory, "ConsentKit.Relay.Worker.dll"), .. args], environment);

    public static ChildProcess Start(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}."));
    }

    /// <summary>Reads lines until one matches, returning it; fails with the process's error output if it ends first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, CancellationToken cancellationToken)
    {
        while (await _lines.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_lines.Reader.TryRead(out var line))
            {
                if (match(line))
                {
                    return line;
                }
            }
        }

        await _process.WaitForExitAsync(cancellationToken);
        throw new InvalidOperationException($"The process ended (exit {_process.ExitCode}) before the expected line: {await _process.StandardError.ReadToEndAsync(cancellationToken)}");
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async Task WaitForExitAsync(CancellationToken cancellationToken) => await _process.WaitForExitAsync(cancellationToken);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _ = _pump.Exception;
    }
}
