using System.Diagnostics;

namespace ConsentKit.Tests.Shared;

/// <summary>
/// A second app instance as a real child process (ConsentKit.Instance.Worker): it hosts ConsentKit with
/// its change-feed follower and answers one command per line.
/// </summary>
internal sealed class InstanceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private InstanceProcess(Process process) => _process = process;

    public static async Task<InstanceProcess> StartAsync(CancellationToken cancellationToken, params string[] args)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "ConsentKit.Instance.Worker.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(worker);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var instance = new InstanceProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start the worker."));
        var first = await instance._process.StandardOutput.ReadLineAsync(cancellationToken);
        if (first != "ready")
        {
            var error = await instance._process.StandardError.ReadToEndAsync(cancellationToken);
            throw new InvalidOperationException($"The worker did not start: {first} {error}");
        }

        return instance;
    }

    /// <summary>Sends one command and returns the worker's one-line answer.</summary>
    public async Task<string> SendAsync(string command, CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync(command.AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
        return await _process.StandardOutput.ReadLineAsync(cancellationToken)
            ?? throw new InvalidOperationException("The worker ended: " + await _process.StandardError.ReadToEndAsync(cancellationToken));
    }

    /// <summary>Asks the worker's gate; true when it allows.</summary>
    public async Task<bool> AllowsAsync(string subject, string purpose, CancellationToken cancellationToken) =>
        (await SendAsync($"check {subject} {purpose}", cancellationToken)).StartsWith("decision allowed", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(exit.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}

/// <summary>Waits for a condition to come true, with a deadline (never a bare sleep).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = within ?? TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException($"Not true within {limit.TotalSeconds:0} s: {what}.");
            }

            await Task.Delay(5);
        }
    }
}
