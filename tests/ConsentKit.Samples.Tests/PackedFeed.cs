using System.Diagnostics;
using System.Text.RegularExpressions;
using FluentAssertions;

namespace ConsentKit.Samples.Tests;

/// <summary>
/// Every package of this repository packed once into a folder, at a version of its own (so NuGet's cache
/// can never hand back an older build of the same number), with a <c>nuget.config</c> above the apps
/// that use it: the README's install instructions, done by a test.
/// </summary>
public sealed partial class PackedFeed : IAsyncLifetime
{
    public static readonly string[] Libraries = ["ConsentKit", "ConsentKit.Sqlite", "ConsentKit.PostgreSql", "ConsentKit.Receipts", "ConsentKit.Snapshots", "ConsentKit.Relay", "ConsentKit.Relay.RabbitMQ", "ConsentKit.Import", "ConsentKit.AspNetCore", "ConsentKit.Testing"];

    public string Root { get; } = RepositoryRoot();

    public string Work { get; } = Path.Combine(Path.GetTempPath(), "consentkit-consumer", Guid.NewGuid().ToString("N"));

    public string Folder => Path.Combine(Work, "feed");

    public string Version { get; } = "0.1.0-consumer." + Guid.NewGuid().ToString("N")[..8];

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Work);
        foreach (var package in Libraries.Append("ConsentKit.Templates").Append("ConsentKit.Cli"))
        {
            await RunAsync("dotnet", ["pack", Path.Combine(Root, "src", package, package + ".csproj"), "-c", "Release", "-o", Folder, $"-p:Version={Version}"], Root);
        }

        // Apps made under Work find the packages here, and everything else where they always do.
        await File.WriteAllTextAsync(Path.Combine(Work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="consentkit-local" value="{Folder}" />
              </packageSources>
            </configuration>
            """);
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(Work, recursive: true);
        }
        catch (IOException)
        {
            // Temp folder: the OS cleans it.
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The version Directory.Packages.props gives <paramref name="package"/>, for apps that need it too.</summary>
    public string VersionInRepository(string package)
    {
        var props = File.ReadAllText(Path.Combine(Root, "Directory.Packages.props"));
        var version = new Regex($"Include=\"{Regex.Escape(package)}\" Version=\"([^\"]+)\"").Match(props) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"{package} is not in Directory.Packages.props.");

        // A version may name a property of the same file, e.g. $(MicrosoftExtensionsVersion).
        return version.StartsWith("$(", StringComparison.Ordinal)
            ? Regex.Match(props, $"<{Regex.Escape(version[2..^1])}>([^<]+)<").Groups[1].Value
            : version;
    }

    /// <summary>Runs a process to its end and returns its output; fails the test, with the output, on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string file, string[] arguments, string directory)
    {
        using var process = Start(file, arguments, directory);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        process.ExitCode.Should().Be(0, $"`{file} {string.Join(' ', arguments)}` in {directory} failed:\n{output}");
        return output;
    }

    public static Process Start(string file, string[] arguments, string directory)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The consumer is a new app, not part of this build: nothing of the test host's MSBuild settings leaks in.
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        return Process.Start(start)!;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ConsentKit.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (ConsentKit.sln) is not above " + AppContext.BaseDirectory);
    }
}
