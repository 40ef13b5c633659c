using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.AspNetCore.Tests;

/// <summary><c>GET models</c>: a person learns which models their data went into and what each owes them (Art. 15).</summary>
public sealed class ConsentModelsApiTests
{
    private const string Api = "/api/consents/models";

    [Fact]
    public async Task AfterAWithdrawal_ThePersonSeesEachModel_ThePath_AndWhatIsOwedByWhen()
    {
        await using var app = await TestApp.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        await app.Recorder.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        var run = new[] { "alice" }.WhereConsented(app.App.Services.GetRequiredService<ConsentFilter>(), a => a, ConsentPurposes.GenerativeAiTraining,
            new ConsentFilterOptions { DataUseId = "set-1", DataUseDescription = "posts" });
        await foreach (var _ in run.WithCancellation(ct))
        {
        }

        var lineage = app.App.Services.GetRequiredService<IModelLineage>();
        await lineage.RecordArtifactAsync(new NewArtifact { Id = "base", Version = "1", Kind = ArtifactKinds.Model, Owner = "ml", BuiltAt = app.Time.GetUtcNow(), Inputs = [ArtifactInput.FromDataUse("set-1")] }, ct);
        await lineage.DeployAsync("assistant", "base", "ml", ct);

        var before = await (await app.GetAsync(Api, "alice")).Content.ReadFromJsonAsync<JsonElement[]>(ct);
        await app.Recorder.WithdrawAsync("alice", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        var after = await (await app.GetAsync(Api, "alice")).Content.ReadFromJsonAsync<JsonElement[]>(ct);
        var stranger = await (await app.GetAsync(Api, "bob")).Content.ReadFromJsonAsync<JsonElement[]>(ct);

        var model = before!.Should().ContainSingle().Subject;
        model.GetProperty("artifactId").GetString().Should().Be("base");
        model.GetProperty("path").EnumerateArray().Select(p => p.GetString()).Should().Equal("set-1", "base");
        model.GetProperty("deployments").EnumerateArray().Select(p => p.GetString()).Should().Equal("assistant");
        model.GetProperty("owed").ValueKind.Should().Be(JsonValueKind.Null, "nothing is owed while alice's consent stands");
        var owed = after!.Single().GetProperty("owed");
        owed.GetProperty("reason").GetString().Should().Be("withdrawn");
        owed.GetProperty("status").GetString().Should().Be("open");
        owed.GetProperty("deadline").GetDateTimeOffset().Should().Be(app.Time.GetUtcNow().AddDays(30));
        stranger.Should().BeEmpty("bob's data went into nothing");
        (await app.GetAsync(Api)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
