using System.Net;
using System.Text.Json;
using ConsentKit.OpenLineage;
using ConsentKit.Tests.Shared;
using FluentAssertions;
using Json.Schema;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ConsentKit.Tests;

/// <summary>OpenLineage run events: what is emitted for data uses and builds, that it is valid 2-0-2, and that delivery never fails a write.</summary>
public sealed class OpenLineageEventTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly Lazy<(JsonSchema Event, JsonSchema Facet)> Schemas = new(LoadSchemas);

    private readonly string _directory = Directory.CreateTempSubdirectory("consentkit-openlineage-").FullName;

    private string EventsFile => Path.Combine(_directory, "lineage.jsonl");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task DataUsesAndBuilds_EmitStartThenCompleteOrFail_ValidAgainstTheSpecAndTheFacetSchema_AndEachLineRoundTrips()
    {
        using var kit = new ConsentKitFixture(b => b.AddOpenLineage(o => o.FilePath = EventsFile));
        await kit.GrantAsync("ada");
        await kit.GrantAsync("bob");
        await kit.RefuseAsync("carol");
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var lineage = kit.Provider.GetRequiredService<IModelLineage>();

        var run = filter.Filter(Posts("ada", "bob", "carol", "ada"), p => p, ConsentPurposes.GenerativeAiTraining,
            new() { DataUseId = "set-1", DataUseDescription = "genai training set", Lookup = ConsentFilterLookup.Snapshot });
        (await run.ToListAsync(Ct)).Should().Equal("ada", "bob", "ada");
        kit.Time.Advance(TimeSpan.FromHours(1));
        await lineage.RecordArtifactAsync(Artifact("base", kit.Time.GetUtcNow(), ArtifactInput.FromDataUse("set-1")), Ct);
        await lineage.RecordArtifactAsync(Artifact("tuned", kit.Time.GetUtcNow(), ArtifactInput.FromArtifact("base")), Ct);
        var broken = filter.Filter(Throwing(), p => p, ConsentPurposes.GenerativeAiTraining, new() { DataUseId = "set-2", DataUseDescription = "a run that breaks" });
        await FluentActions.Awaiting(async () => await broken.ToListAsync(Ct)).Should().ThrowAsync<IOException>();
        await kit.Provider.GetRequiredService<IOpenLineageEmitter>().ReportFailedBuildAsync(
            "tuned-2", [ArtifactInput.FromArtifact("base")], kit.Time.GetUtcNow().AddMinutes(-5), "out of GPU memory", Ct);

        var lines = await File.ReadAllLinesAsync(EventsFile, Ct);
        lines.Should().HaveCount(10);
        foreach (var line in lines)
        {
            AssertValid(line);
            OpenLineageRunEvent.Parse(line).ToJson().Should().Be(line, "an event reads back to the same JSON");
        }

        var events = lines.Select(OpenLineageRunEvent.Parse).ToList();
        foreach (var runEvents in events.GroupBy(e => e.RunId))
        {
            runEvents.Select(e => e.EventType).Should().HaveCount(2).And.StartWith(OpenLineageEventType.Start, "each run starts once, then ends once");
            runEvents.Select(e => e.JobName).Distinct().Should().ContainSingle();
        }

        var setOne = events.Where(e => e.ConsentKit.DataUseId == "set-1").ToList();
        setOne.Select(e => e.EventType).Should().Equal(OpenLineageEventType.Start, OpenLineageEventType.Complete);
        setOne[1].ConsentKit.SubjectsIncluded.Should().Be(2, "ada and bob went in; carol refused");
        setOne[1].ConsentKit.SnapshotWatermark.Should().Be(run.Report.SnapshotWatermark);
        setOne[1].ConsentKit.Purposes.Should().Equal(ConsentPurposes.GenerativeAiTraining);
        setOne[1].JobName.Should().Be("data-use/" + ConsentPurposes.GenerativeAiTraining);
        setOne[1].Inputs.Should().Equal(new OpenLineageDataset("consentkit", "consent/" + ConsentPurposes.GenerativeAiTraining));
        setOne[1].Outputs.Should().Equal(new OpenLineageDataset("consentkit", "data-use/set-1"));

        var tuned = events.Where(e => e.ConsentKit.ArtifactId == "tuned").ToList();
        tuned.Select(e => e.EventType).Should().Equal(OpenLineageEventType.Start, OpenLineageEventType.Complete);
        tuned[1].Inputs.Should().Equal(new OpenLineageDataset("consentkit", "artifact/base"));
        tuned[1].Outputs.Should().Equal(new OpenLineageDataset("consentkit", "artifact/tuned"));
        tuned[1].ConsentKit.Purposes.Should().Equal([ConsentPurposes.GenerativeAiTraining], "the purpose of the set under its base model");
        tuned[1].ConsentKit.ProofLogSequence.Should().Be((await lineage.GetGraphAsync(Ct)).Find("tuned")!.LogSequence);

        var failedRun = events.Where(e => e.ConsentKit.DataUseId == "set-2").ToList();
        failedRun.Select(e => e.EventType).Should().Equal(OpenLineageEventType.Start, OpenLineageEventType.Fail);
        failedRun[1].ErrorMessage.Should().NotBeNullOrWhiteSpace();
        var failedBuild = events.Where(e => e.ConsentKit.ArtifactId == "tuned-2").ToList();
        failedBuild.Select(e => e.EventType).Should().Equal(OpenLineageEventType.Start, OpenLineageEventType.Fail);
        failedBuild[1].ErrorMessage.Should().Be("out of GPU memory");
    }

    [Fact]
    public async Task TheFacetsChainHead_IsTheHeadVerifyReports()
    {
        using var kit = new ConsentKitFixture(b => b.AddOpenLineage(o => o.FilePath = EventsFile));
        await kit.GrantAsync("ada");
        await kit.WithdrawAsync("ada");
        var ledger = kit.Provider.GetRequiredService<IDataUseLedger>();

        await ledger.StartAsync(new NewDataUse { Id = "set-1", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "a set", StartedAt = kit.Time.GetUtcNow() }, Ct);

        var head = (await kit.Provider.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: Ct)).Head;
        var facet = OpenLineageRunEvent.Parse((await File.ReadAllLinesAsync(EventsFile, Ct)).Single()).ConsentKit;
        var anchored = ConsentChainHead.Parse(facet.ConsentChainHead);
        anchored.Sequence.Should().Be(head.Sequence).And.Be(2);
        anchored.Hash.Should().Be(head.Hash);
    }

    [Fact]
    public async Task TheHttpTransport_PostsEachEventAsJson_WithTheApiKey()
    {
        using var receiver = new Receiver(HttpStatusCode.Created);
        using var kit = new ConsentKitFixture(b => b.AddOpenLineage(o =>
        {
            o.Endpoint = receiver.Url;
            o.ApiKey = "secret-key";
            o.Namespace = "platform";
        }));
        var ledger = kit.Provider.GetRequiredService<IDataUseLedger>();

        await ledger.StartAsync(new NewDataUse { Id = "set-1", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "a set", StartedAt = kit.Time.GetUtcNow() }, Ct);
        await ledger.CompleteAsync("set-1", kit.Time.GetUtcNow(), 0, 0, Ct);

        receiver.Requests.Should().HaveCount(2);
        foreach (var request in receiver.Requests)
        {
            request.Method.Should().Be("POST");
            request.ContentType.Should().StartWith("application/json");
            request.Authorization.Should().Be("Bearer secret-key");
            AssertValid(request.Body);
        }

        receiver.Requests.Select(r => OpenLineageRunEvent.Parse(r.Body).JobNamespace).Should().AllBe("platform");
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(null)]
    public async Task AReceiverThatFailsOrIsDown_DoesNotFailTheWrite_ItIsLoggedAndCounted(HttpStatusCode? answer)
    {
        using var receiver = answer is { } status ? new Receiver(status) : null;
        var url = receiver?.Url ?? new Uri($"http://127.0.0.1:{LoopbackEndpoint.FreePort()}/api/v1/lineage");
        using var kit = new ConsentKitFixture(b => b.AddOpenLineage(o => o.Endpoint = url), services: s => s.AddMetrics());
        using var events = new MetricCollector<long>(kit.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "ConsentKit", "consentkit.openlineage.events");
        var ledger = kit.Provider.GetRequiredService<IDataUseLedger>();

        var started = await ledger.StartAsync(new NewDataUse { Id = "set-1", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "a set", StartedAt = kit.Time.GetUtcNow() }, Ct);

        started.Status.Should().Be(DataUseStatus.Running);
        (await ledger.GetAsync("set-1", Ct)).Should().NotBeNull("the write stands");
        events.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags["consentkit.outcome"].Should().Be("failed");
    }

    [Fact]
    public void WithoutAddOpenLineage_NothingIsEmitted_AndTheLedgerIsTheStoresOwn()
    {
        using var kit = new ConsentKitFixture();

        kit.Provider.GetService<IOpenLineageEmitter>().Should().BeNull();
        kit.Provider.GetRequiredService<IDataUseLedger>().Should().BeSameAs(kit.Store);
    }

    [Theory]
    [InlineData(null, null, "Set exactly one of FilePath")]
    [InlineData("lineage.jsonl", "http://localhost:5000/api/v1/lineage", "Set exactly one of FilePath")]
    [InlineData(null, "ftp://localhost/lineage", "must be an absolute http or https URL")]
    [InlineData("no-such-directory/lineage.jsonl", null, "does not exist")]
    public async Task BadOptions_StopTheAppAtStart_SayingWhy(string? file, string? endpoint, string expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit().AddStandardPurposes().UseInMemoryStore().AddOpenLineage(o =>
        {
            o.FilePath = file is null ? null : Path.Combine(_directory, file);
            o.Endpoint = endpoint is null ? null : new Uri(endpoint);
        });
        using var host = builder.Build();

        var error = (await FluentActions.Awaiting(() => host.StartAsync(Ct)).Should().ThrowAsync<OptionsValidationException>()).Which;

        error.Message.Should().Contain(expected);
        File.Exists(Path.Combine(_directory, "lineage.jsonl")).Should().BeFalse();
    }

    [Fact]
    public async Task ACustomTransport_ReceivesTheEvents()
    {
        var received = new List<OpenLineageRunEvent>();
        using var kit = new ConsentKitFixture(b => b.UseOpenLineageTransport(_ => new ListTransport(received)).AddOpenLineage(_ => { }));

        await kit.Provider.GetRequiredService<IDataUseLedger>().StartAsync(
            new NewDataUse { Id = "set-1", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "a set", StartedAt = kit.Time.GetUtcNow() }, Ct);

        received.Should().ContainSingle().Which.EventType.Should().Be(OpenLineageEventType.Start);
    }

    [Theory]
    [InlineData("", "artifactId")]
    [InlineData("x", "reason")]
    public async Task AFailedBuild_WithABadArgument_IsRefusedNamingIt_AndEmitsNothing(string artifactId, string field)
    {
        using var kit = new ConsentKitFixture(b => b.AddOpenLineage(o => o.FilePath = EventsFile));
        var emitter = kit.Provider.GetRequiredService<IOpenLineageEmitter>();

        var act = () => emitter.ReportFailedBuildAsync(artifactId, [], kit.Time.GetUtcNow(), artifactId.Length == 0 ? "why" : " ", Ct).AsTask();

        (await act.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be(field);
        File.Exists(EventsFile).Should().BeFalse();
    }

    [Fact]
    public void RunIds_AreStableUuids_PerNamespaceKindAndId()
    {
        var one = OpenLineageEmitter.RunId("consentkit", "data-use", "set-1");

        OpenLineageEmitter.RunId("consentkit", "data-use", "set-1").Should().Be(one);
        OpenLineageEmitter.RunId("other", "data-use", "set-1").Should().NotBe(one);
        OpenLineageEmitter.RunId("consentkit", "artifact-build", "set-1").Should().NotBe(one);
        one.ToString("D")[14].Should().Be('8', "an RFC 9562 version 8 UUID");
    }

    private static void AssertValid(string line)
    {
        var (eventSchema, facetSchema) = Schemas.Value;
        var options = new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true };
        var root = JsonDocument.Parse(line).RootElement;
        var result = eventSchema.Evaluate(root, options);
        result.IsValid.Should().BeTrue(Problems(result) + " in " + line);
        var facet = facetSchema.Evaluate(root.GetProperty("run").GetProperty("facets").GetProperty(ConsentKitRunFacet.Name), options);
        facet.IsValid.Should().BeTrue(Problems(facet) + " in " + line);
    }

    private static string Problems(EvaluationResults result) =>
        JsonSerializer.Serialize(result.Details?.Where(d => !d.IsValid).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors?.Values.AsEnumerable() ?? [])}"));

    private static (JsonSchema, JsonSchema) LoadSchemas()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "OpenLineage");
        var spec = JsonSchema.FromText(File.ReadAllText(Path.Combine(directory, "OpenLineage-2-0-2.json")));
        SchemaRegistry.Global.Register(spec);
        return (spec, JsonSchema.FromText(File.ReadAllText(Path.Combine(directory, "consentkit-run-facet-1-0-0.json"))));
    }

    private static NewArtifact Artifact(string id, DateTimeOffset at, ArtifactInput input) =>
        new() { Id = id, Version = "1", Kind = ArtifactKinds.Model, Owner = "ml-team", BuiltAt = at, Inputs = [input] };

    private static async IAsyncEnumerable<string> Posts(params string[] authors)
    {
        foreach (var author in authors)
        {
            await Task.Yield();
            yield return author;
        }
    }

    private static async IAsyncEnumerable<string> Throwing()
    {
        await Task.Yield();
        yield return "ada";
        throw new IOException("the source broke");
    }

    private sealed class ListTransport(List<OpenLineageRunEvent> received) : IOpenLineageTransport
    {
        public ValueTask EmitAsync(OpenLineageRunEvent runEvent, CancellationToken cancellationToken = default)
        {
            received.Add(runEvent);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A real HTTP endpoint on the loopback that answers every request with one status and keeps what it got.</summary>
    private sealed class Receiver : IDisposable
    {
        private readonly LoopbackEndpoint _endpoint;

        public Receiver(HttpStatusCode answer)
        {
            _endpoint = new LoopbackEndpoint(async context =>
            {
                var body = await LoopbackEndpoint.BodyAsync(context);
                lock (Requests)
                {
                    Requests.Add((context.Request.HttpMethod, context.Request.ContentType, context.Request.Headers["Authorization"], body));
                }

                context.Response.StatusCode = (int)answer;
                context.Response.Close();
            });
            Url = _endpoint.Url("/api/v1/lineage");
        }

        public Uri Url { get; }

        public List<(string Method, string? ContentType, string? Authorization, string Body)> Requests { get; } = [];

        public void Dispose() => _endpoint.Dispose();
    }
}
