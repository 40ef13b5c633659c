using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Samples.Tests;

/// <summary>
/// The packages as a user gets them: packed into a folder that is a package source (as the README
/// says), and new apps outside this repository referencing them by version — not by project.
/// </summary>
/// <remarks>
/// Packing and building new apps keeps both cores busy for a minute: the class runs on its own, so the
/// browser and multi-instance tests beside it keep their timings.
/// </remarks>
[Collection(nameof(PackagingRunsAlone))]
public sealed partial class PackageConsumerTests(PackedFeed feed) : IClassFixture<PackedFeed>
{
    [Fact]
    public void EveryLibrary_IsPackedWithItsSymbols_AndTheTemplatesToo()
    {
        foreach (var package in PackedFeed.Libraries)
        {
            File.Exists(Path.Combine(feed.Folder, $"{package}.{feed.Version}.nupkg")).Should().BeTrue(package);
            File.Exists(Path.Combine(feed.Folder, $"{package}.{feed.Version}.snupkg")).Should().BeTrue("{0} ships its symbols", package);
        }

        File.Exists(Path.Combine(feed.Folder, $"ConsentKit.Templates.{feed.Version}.nupkg")).Should().BeTrue();
    }

    [Fact]
    public async Task ANewConsoleApp_ReferencingThePackagesByVersion_BuildsAndRuns()
    {
        var app = NewFolder("console");
        await WriteProjectAsync(app, web: false);
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

        var output = await PackedFeed.RunAsync("dotnet", ["run"], app);

        output.Should().MatchRegex(@"before=NoRecord after=Granted valid: 1 records, 1 proof-log entries, head consentkit-chain-head:v2:1:[0-9a-f]{64}:1:[0-9a-f]{64}");
    }

    [Fact]
    public async Task EveryCSharpBlockInTheReadme_CompilesAgainstThePackages_AndTheQuickStartRunsAsItSays()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(feed.Root, "README.md"));
        InstallLine().Matches(readme).Select(m => m.Groups[1].Value).Should().Contain(
            ReferencedPackages, "the blocks compile only with these packages, so the README's install list names each");
        var blocks = CSharpBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        blocks.Should().HaveCountGreaterThanOrEqualTo(7, "the README shows the quick start, ASP.NET Core, PostgreSQL, proof, pipelines, receipts and snapshots");

        for (var i = 0; i < blocks.Count; i++)
        {
            var app = NewFolder($"readme-{i}");
            await WriteProjectAsync(app, web: blocks[i].Contains("WebApplication", StringComparison.Ordinal));
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), blocks[i]);
            await PackedFeed.RunAsync("dotnet", ["build", "-warnaserror"], app);
        }

        var quickStart = await PackedFeed.RunAsync("dotnet", ["run", "--no-build"], Path.Combine(feed.Work, "readme-0"));
        quickStart.Should().Contain("True Granted #1").And.Contain("ai-training.generative: Withdrawn").And.Contain("#2 Withdrawn under \"");
    }

    [Fact]
    public async Task TheTemplate_MakesAnAppThatRuns_AndDeniesUntilThePersonOptsIn()
    {
        var hive = Path.Combine(feed.Work, "template-hive");
        var app = Path.Combine(feed.Work, "TemplateApp");
        await PackedFeed.RunAsync("dotnet", ["new", "install", Path.Combine(feed.Folder, $"ConsentKit.Templates.{feed.Version}.nupkg"), "--debug:custom-hive", hive], feed.Work);
        await PackedFeed.RunAsync("dotnet", ["new", "consentkit-web", "-o", app, "--debug:custom-hive", hive], feed.Work);
        File.ReadAllText(Path.Combine(app, "TemplateApp.csproj")).Should().Contain($"Version=\"{feed.Version}\"", "the template references the packages it was packed with");
        await PackedFeed.RunAsync("dotnet", ["build", "-warnaserror"], app);

        var url = $"http://127.0.0.1:{FreePort()}";
        using var process = PackedFeed.Start("dotnet", ["run", "--no-build", "--urls", url], app);
        try
        {
            // Ready when Kestrel says so on stdout (or the app has died, which the read below reports).
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken)) is not null && !line.Contains("Now listening on", StringComparison.Ordinal))
            {
            }

            if (line is null)
            {
                Assert.Fail("The app stopped before it listened: " + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken));
            }

            using var client = new HttpClient { BaseAddress = new Uri(url) };

            var home = await client.GetAsync("/", TestContext.Current.CancellationToken);
            var denied = await client.GetAsync("/users/ada/training-data", TestContext.Current.CancellationToken);
            var consents = await client.GetAsync("/api/consents", TestContext.Current.CancellationToken);

            home.StatusCode.Should().Be(HttpStatusCode.OK);
            denied.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            denied.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            consents.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the consent API is the signed-in person's own");

            // The whole story in the new app: sign in as Ada, turn generative-AI training on, and her data is served.
            using var ada = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(url) };
            var signIn = await ada.GetStringAsync("/signin", TestContext.Current.CancellationToken);
            var signedIn = await ada.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["user"] = "ada",
                ["__RequestVerificationToken"] = TemplateToken().Match(signIn).Groups[1].Value,
            }), TestContext.Current.CancellationToken);
            signedIn.StatusCode.Should().Be(HttpStatusCode.Redirect);
            var settings = await ada.GetStringAsync("/settings/privacy", TestContext.Current.CancellationToken);
            var genAi = TemplateSwitch().Match(settings);
            genAi.Success.Should().BeTrue("the settings page has a switch for generative-AI training:\n{0}", settings);
            genAi.Groups["checked"].Value.Should().Be("false", "it is off until Ada turns it on");

            var saved = await ada.PostAsync("/settings/privacy", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["purposeId"] = ConsentPurposes.GenerativeAiTraining,
                ["noticeVersion"] = genAi.Groups["version"].Value,
                ["turnOn"] = "true",
                ["__RequestVerificationToken"] = TemplateToken().Match(settings).Groups[1].Value,
            }), TestContext.Current.CancellationToken);

            saved.StatusCode.Should().Be(HttpStatusCode.Redirect);
            (await ada.GetStringAsync(saved.Headers.Location, TestContext.Current.CancellationToken)).Should().Contain("is now on.");
            (await client.GetAsync("/users/ada/training-data", TestContext.Current.CancellationToken)).StatusCode.Should().Be(HttpStatusCode.OK, "Ada opted in");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task TheTool_InstallsFromTheFeed_AndEveryCommandTheReadmesShowRunsAsPrinted()
    {
        var tools = Path.Combine(feed.Work, "tools");
        await PackedFeed.RunAsync("dotnet", ["tool", "install", "ConsentKit.Cli", "--version", feed.Version, "--tool-path", tools], feed.Work);

        string[] readmes = ["src/ConsentKit.Cli/README.md", "README.md"];
        for (var i = 0; i < readmes.Length; i++)
        {
            var readme = readmes[i];
            var commands = CliCommandsIn(await File.ReadAllTextAsync(Path.Combine(feed.Root, readme)));
            commands.Should().NotBeEmpty("{0} shows the tool", readme);

            // Each README in a folder of its own, on the store it talks about: consent.db, where ada
            // opted in and the training set genai-model-v7 used her data.
            var folder = NewFolder($"cli-readme-{i}");
            await SeedToolStoreAsync(Path.Combine(folder, "consent.db"));
            foreach (var command in commands)
            {
                // As a user types it, in a shell, with the installed tool on the PATH; exit 0 or the test fails naming the line.
                await PackedFeed.RunAsync("bash", ["-c", $"export PATH=\"{tools}:$PATH\"\n{command}"], folder);
            }
        }
    }

    /// <summary>The <c>consentkit …</c> commands a README shows: lines of its bash blocks (continuations joined) and inline code, in order.</summary>
    private static List<string> CliCommandsIn(string readme)
    {
        var commands = new List<string>();
        var rest = readme;
        foreach (Match block in BashBlock().Matches(readme))
        {
            var lines = block.Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n');
            commands.AddRange(lines.Select(l => l.Trim()).Where(l => l.StartsWith("consentkit ", StringComparison.Ordinal)));
            rest = rest.Replace(block.Value, string.Empty, StringComparison.Ordinal);
        }

        commands.AddRange(InlineCliCommand().Matches(rest).Select(m => m.Groups[1].Value));
        return commands;
    }

    private static async Task SeedToolStoreAsync(string database)
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore($"Data Source={database}");
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IConsentRecorder>().GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), TestContext.Current.CancellationToken);
        var run = new[] { "ada" }.WhereConsented(provider.GetRequiredService<ConsentFilter>(), a => a, ConsentPurposes.GenerativeAiTraining, new ConsentFilterOptions { DataUseId = "genai-model-v7", DataUseDescription = "the v7 model's training set" });
        await foreach (var _ in run.WithCancellation(TestContext.Current.CancellationToken))
        {
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TemplateToken();

    [GeneratedRegex(@"name=""purposeId"" value=""ai-training\.generative"">\s*<input type=""hidden"" name=""noticeVersion"" value=""(?<version>[^""]*)"">.*?aria-checked=""(?<checked>true|false)""", RegexOptions.Singleline)]
    private static partial Regex TemplateSwitch();

    [GeneratedRegex(@"```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"`(consentkit [^`]+)`")]
    private static partial Regex InlineCliCommand();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^dotnet add package (\S+)", RegexOptions.Multiline)]
    private static partial Regex InstallLine();

    /// <summary>What the README's blocks are compiled against (<see cref="WriteProjectAsync"/>).</summary>
    private static readonly string[] ReferencedPackages =
        ["ConsentKit.AspNetCore", "ConsentKit.Sqlite", "ConsentKit.PostgreSql", "ConsentKit.Receipts", "ConsentKit.Snapshots", "ConsentKit.Relay", "ConsentKit.Relay.RabbitMQ", "ConsentKit.Import", "Microsoft.Extensions.DependencyInjection"];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private string NewFolder(string name)
    {
        var path = Path.Combine(feed.Work, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private Task WriteProjectAsync(string directory, bool web) => File.WriteAllTextAsync(Path.Combine(directory, "app.csproj"), $"""
        <Project Sdk="{(web ? "Microsoft.NET.Sdk.Web" : "Microsoft.NET.Sdk")}">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="ConsentKit.AspNetCore" Version="{feed.Version}" Condition="{(web ? "true" : "false")}" />
            <PackageReference Include="ConsentKit.Sqlite" Version="{feed.Version}" />
            <PackageReference Include="ConsentKit.PostgreSql" Version="{feed.Version}" />
            <PackageReference Include="ConsentKit.Receipts" Version="{feed.Version}" />
            <PackageReference Include="ConsentKit.Snapshots" Version="{feed.Version}" />
            <PackageReference Include="ConsentKit.Relay" Version="{feed.Version}" />
            <PackageReference Include="ConsentKit.Relay.RabbitMQ" Version="{feed.Version}" />
            <PackageReference Include="ConsentKit.Import" Version="{feed.Version}" />
            <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="{feed.VersionInRepository("Microsoft.Extensions.DependencyInjection")}" Condition="{(web ? "false" : "true")}" />
          </ItemGroup>
        </Project>
        """);
}

[CollectionDefinition(nameof(PackagingRunsAlone), DisableParallelization = true)]
public sealed class PackagingRunsAlone;
