using System.Diagnostics;
using System.Text.RegularExpressions;
using FluentAssertions;

namespace ConsentKit.Samples.Tests;

/// <summary>
/// The packages as a user gets them: packed into a folder, that folder made a package source (as the
/// README says), and a new app outside this repository referencing them by version — not by project.
/// </summary>
public sealed partial class PackageConsumerTests : IDisposable
{
    private static readonly string[] Packages = ["ConsentKit", "ConsentKit.Sqlite", "ConsentKit.PostgreSql", "ConsentKit.AspNetCore", "ConsentKit.Testing"];
    private readonly string _work = Path.Combine(Path.GetTempPath(), "consentkit-consumer", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task ThePackedPackages_BuildAndRunANewApp_ThatReferencesThemByVersionFromALocalFolder()
    {
        var root = RepositoryRoot();
        var feed = Path.Combine(_work, "feed");
        var app = Path.Combine(_work, "app");
        Directory.CreateDirectory(app);

        // A version of its own, so NuGet's cache can never hand back an older build of the same number.
        var version = "0.1.0-consumer." + Guid.NewGuid().ToString("N")[..8];
        foreach (var package in Packages)
        {
            await RunAsync("dotnet", ["pack", Path.Combine(root, "src", package, package + ".csproj"), "-c", "Release", "-o", feed, $"-p:Version={version}"], root);
        }

        Directory.GetFiles(feed, "*.nupkg").Should().HaveCount(Packages.Length);
        Directory.GetFiles(feed, "*.snupkg").Should().HaveCount(Packages.Length, "every package ships its symbols");

        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="consentkit-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ConsentKit.Sqlite" Version="{version}" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="{VersionInRepository(root, "Microsoft.Extensions.DependencyInjection")}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using ConsentKit;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddConsentKit().AddStandardPurposes().UseSqliteStore("Data Source=consent.db");
            await using var provider = services.BuildServiceProvider();
            var recorder = provider.GetRequiredService<IConsentRecorder>();
            var gate = provider.GetRequiredService<IConsentGate>();

            var before = await gate.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining);
            await recorder.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"));
            var after = await gate.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining);
            var verified = await provider.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync();
            Console.WriteLine($"before={before.Reason} after={after.Reason} {verified}");
            """);

        var output = await RunAsync("dotnet", ["run"], app);

        output.Should().MatchRegex(@"before=NoRecord after=Granted valid: 1 records, head consentkit-chain-head:v1:1:[0-9a-f]{64}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // Temp folder: the OS cleans it.
        }
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

    private static string VersionInRepository(string root, string package)
    {
        var props = File.ReadAllText(Path.Combine(root, "Directory.Packages.props"));
        var version = PackageVersion(package).Match(props) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"{package} is not in Directory.Packages.props.");

        // A version may name a property of the same file, e.g. $(MicrosoftExtensionsVersion).
        return version.StartsWith("$(", StringComparison.Ordinal)
            ? Regex.Match(props, $"<{Regex.Escape(version[2..^1])}>([^<]+)<").Groups[1].Value
            : version;
    }

    private static Regex PackageVersion(string package) => new($"Include=\"{Regex.Escape(package)}\" Version=\"([^\"]+)\"");

    private static async Task<string> RunAsync(string file, string[] arguments, string directory)
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
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        process.ExitCode.Should().Be(0, $"`{file} {string.Join(' ', arguments)}` in {directory} failed:\n{output}");
        return output;
    }
}
