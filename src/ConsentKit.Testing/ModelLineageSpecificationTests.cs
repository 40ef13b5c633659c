using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ConsentKit.Testing;

/// <summary>
/// Model lineage on your store, as an app wires it: training sets built through the pipeline filter,
/// models and fine-tunes recorded on them, a withdrawal followed through the graph to what each model
/// owes, a rebuild without the person that pays it — and every refusal writing nothing.
/// </summary>
/// <remarks>Derive a test class and implement <see cref="AddStore"/> as for <see cref="ConsentKitSpecificationTests"/>.</remarks>
public abstract class ModelLineageSpecificationTests : IAsyncLifetime
{
    private const string GenAi = ConsentPurposes.GenerativeAiTraining;
    private readonly SpecificationStack _stack = new("l" + Guid.NewGuid().ToString("N")[..10] + "-");

    /// <summary>The app's services: ConsentKit with the standard purposes and your store.</summary>
    protected IServiceProvider Services => _stack.Services;

    private IModelLineage Lineage => Services.GetRequiredService<IModelLineage>();

    private IConsentRecorder Recorder => Services.GetRequiredService<IConsentRecorder>();

    private IConsentStore Store => Services.GetRequiredService<IConsentStore>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Registers the store under test the way an app does.</summary>
    /// <param name="builder">The ConsentKit builder.</param>
    protected abstract void AddStore(IConsentKitBuilder builder);

    /// <summary>An id that belongs to this test alone (subjects, data uses, artifacts, deployments).</summary>
    /// <param name="name">The name the test uses.</param>
    protected string S(string name) => _stack.Id(name);

    /// <inheritdoc />
    public virtual ValueTask InitializeAsync()
    {
        _stack.Start(AddStore);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        await _stack.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// The story: set S1 (ada, bob) → base model M1 → fine-tune M2, deployed; ada withdraws → M1 and M2 each owe
    /// her, with the path and a deadline; the plan rebuilds from S1 without her; S2 and M3 are built from it, and
    /// when M3 takes M2's deployment both debts are resolved. The history still verifies.
    /// </summary>
    [Fact]
    public async Task AWithdrawal_ReachesTheModels_AndARebuildWithoutThePersonResolvesWhatTheyOwe()
    {
        await GrantAsync("ada", "bob");
        var s1 = await BuildSetAsync("S1", "ada", "bob");
        var m1 = await RecordAsync("M1", ArtifactKinds.Model, ArtifactInput.FromDataUse(s1));
        var m2 = await RecordAsync("M2", ArtifactKinds.FineTune, ArtifactInput.FromArtifact(m1.Id));
        await Lineage.DeployAsync(S("chat"), m2.Id, "ml-platform", Ct);

        var withdrawal = await Recorder.WithdrawAsync(S("ada"), GenAi, ConsentEvidence.FromUserInterface("1", "spec"), Ct);

        var affected = await Lineage.FindAffectedArtifactsAsync(withdrawal, Ct);
        Assert.Equal([m1.Id, m2.Id], affected.Select(a => a.Artifact.Id));
        Assert.Equal([s1, m1.Id, m2.Id], affected[1].Path);
        Assert.Equal([S("chat")], affected[1].Deployments);
        Assert.Equal(ObligationStatus.Open, affected[1].Obligation?.Status);
        Assert.Equal(withdrawal.RecordedAt + TimeSpan.FromDays(30), affected[1].Obligation?.Deadline);
        Assert.All(await Lineage.FindArtifactsHoldingAsync(S("bob"), Ct), h => Assert.Null(h.Obligation));
        foreach (var model in new[] { m1, m2 })
        {
            var owed = Assert.Single((await Lineage.GetObligationsAsync(model.Id, Ct)).People);
            Assert.Equal(S("ada"), owed.SubjectId);
            Assert.Equal(ConsentDecisionReason.Withdrawn, owed.Reason);
            Assert.Equal(withdrawal.RecordedAt, owed.Since);
            Assert.Equal(withdrawal.RecordedAt + TimeSpan.FromDays(30), owed.Deadline);
            Assert.Equal(ObligationStatus.Open, owed.Status);
            Assert.Equal(s1, owed.Path[0]);
            Assert.Equal(model.Id, owed.Path[^1]);
        }

        var plan = await Lineage.PlanRebuildAsync(m2.Id, Ct);
        var input = Assert.Single(plan.Inputs);
        Assert.Equal(s1, input.DataUse.Id);
        Assert.Equal(2, input.Members);
        Assert.Equal([S("ada")], input.LeaveOut);
        Assert.Equal([m1.Id, m2.Id], plan.Rebuild.Select(a => a.Id));
        Assert.Equal([S("chat")], plan.Deployments);
        Assert.True(plan.Watermark >= withdrawal.Sequence);

        // The rebuild, from the plan: the data use again for its purpose (the gate leaves ada out), then the models.
        var s2 = await BuildSetAsync("S2", "ada", "bob");
        Assert.Equal([S("bob")], (await Services.GetRequiredService<IDataUseLedger>().GetSubjectsAsync(s2, Ct)).Select(m => m.SubjectId));
        var m3 = await RecordAsync("M3", ArtifactKinds.Model, ArtifactInput.FromDataUse(s2));
        Assert.Equal(ObligationStatus.Open, (await Lineage.GetObligationsAsync(m2.Id, Ct)).People[0].Status);
        await Lineage.DeployAsync(S("chat"), m3.Id, "ml-platform", Ct);

        foreach (var model in new[] { m1, m2 })
        {
            var paid = Assert.Single((await Lineage.GetObligationsAsync(model.Id, Ct)).People);
            Assert.Equal(ObligationStatus.Resolved, paid.Status);
            Assert.Contains(m3.Id, paid.Resolution, StringComparison.Ordinal);
        }

        Assert.Empty((await Lineage.GetObligationsAsync(m3.Id, Ct)).People);
        var all = (await Lineage.GetAllObligationsAsync(Ct)).Where(o => o.Artifact.Id.StartsWith(S(string.Empty), StringComparison.Ordinal)).ToList();
        Assert.Equal([m1.Id, m2.Id, m3.Id], all.Select(o => o.Artifact.Id));
        Assert.All(all, o => Assert.Equal(0, o.Owed));
        Assert.Equal([m1.Id, m2.Id, m3.Id], (await Lineage.FindArtifactsHoldingAsync(S("bob"), Ct)).Select(h => h.Artifact.Id));
        Assert.True((await Services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: Ct)).IsValid);
    }

    /// <summary>Handing the deployment to a model that still holds the person pays nothing; taking it down does.</summary>
    [Fact]
    public async Task OnlyWhatTheLineageShows_ResolvesADebt_NotARebuildThatStillHoldsThePerson()
    {
        await GrantAsync("ada", "bob");
        var s1 = await BuildSetAsync("S1", "ada", "bob");
        var m1 = await RecordAsync("M1", ArtifactKinds.Model, ArtifactInput.FromDataUse(s1));
        await Lineage.DeployAsync(S("chat"), m1.Id, "ml-platform", Ct);
        await Recorder.WithdrawAsync(S("ada"), GenAi, ConsentEvidence.FromUserInterface("1", "spec"), Ct);

        var again = await RecordAsync("M1b", ArtifactKinds.Model, ArtifactInput.FromDataUse(s1));
        await Lineage.DeployAsync(S("chat"), again.Id, "ml-platform", Ct);
        Assert.Equal(ObligationStatus.Open, Assert.Single((await Lineage.GetObligationsAsync(m1.Id, Ct)).People).Status);

        await Lineage.AcknowledgeObligationsAsync(again.Id, "ml-platform", "retiring it this week", Ct);
        Assert.Equal(ObligationStatus.Acknowledged, Assert.Single((await Lineage.GetObligationsAsync(again.Id, Ct)).People).Status);

        await Lineage.RetireDeploymentAsync(S("chat"), "ml-platform", Ct);
        var paid = Assert.Single((await Lineage.GetObligationsAsync(again.Id, Ct)).People);
        Assert.Equal(ObligationStatus.Resolved, paid.Status);
        Assert.Contains("taken down", paid.Resolution, StringComparison.Ordinal);
    }

    /// <summary>Under "exclude from the next build", a build made after the withdrawal that still holds the person is overdue at once.</summary>
    [Fact]
    public async Task ABuildAfterTheWithdrawalThatStillHoldsThePerson_IsOverdue_UnderExcludeFromNextBuild()
    {
        await using var provider = BuildWith(o => o.DefaultPolicy = ObligationPolicy.ExcludeFromNextBuildPolicy());
        var lineage = provider.GetRequiredService<IModelLineage>();
        await GrantAsync(provider, "ada");
        var s1 = await BuildSetAsync(provider, "S1", "ada");
        var before = await lineage.RecordArtifactAsync(NewArtifact("M1", ArtifactKinds.Model, ArtifactInput.FromDataUse(s1)), Ct);
        await provider.GetRequiredService<IConsentRecorder>().WithdrawAsync(S("ada"), GenAi, ConsentEvidence.FromUserInterface("1", "spec"), Ct);
        var after = await lineage.RecordArtifactAsync(NewArtifact("M2", ArtifactKinds.Model, ArtifactInput.FromDataUse(s1)), Ct);

        var owedBefore = Assert.Single((await lineage.GetObligationsAsync(before.Id, Ct)).People);
        var owedAfter = await lineage.GetObligationsAsync(after.Id, Ct);

        Assert.Null(owedBefore.Deadline);
        Assert.False(owedBefore.Overdue);
        Assert.Equal(1, owedAfter.Overdue);
        Assert.Equal("exclude-from-next-build", owedAfter.People[0].Policy.Name);
    }

    /// <summary>A duplicate id, an unknown input, a cycle and a build before its input are refused naming the field, and write nothing.</summary>
    [Fact]
    public async Task BadArtifacts_AreRefusedNamingTheField_AndWriteNothing()
    {
        await GrantAsync("ada");
        var s1 = await BuildSetAsync("S1", "ada");
        var m1 = await RecordAsync("M1", ArtifactKinds.Model, ArtifactInput.FromDataUse(s1));
        var log = await LogLengthAsync();

        await Refused("artifact.Id", NewArtifact("M1", ArtifactKinds.Model, ArtifactInput.FromDataUse(s1)));
        await Refused("artifact.Inputs", NewArtifact("M2", ArtifactKinds.Model, ArtifactInput.FromDataUse(S("no-such-set"))));
        await Refused("artifact.Inputs", NewArtifact("M2", ArtifactKinds.FineTune, ArtifactInput.FromArtifact(S("no-such-model"))));
        await Refused("artifact.Inputs", NewArtifact("M2", ArtifactKinds.FineTune, ArtifactInput.FromArtifact(S("M2"))));
        await Refused("artifact.Inputs", NewArtifact("M2", ArtifactKinds.FineTune, ArtifactInput.FromArtifact(m1.Id), ArtifactInput.FromArtifact(m1.Id)));
        await Refused("artifact.BuiltAt", NewArtifact("M2", ArtifactKinds.FineTune, ArtifactInput.FromArtifact(m1.Id)) with { BuiltAt = m1.BuiltAt.AddDays(-1) });
        await Refused("artifact.Kind", NewArtifact("M2", " ", ArtifactInput.FromArtifact(m1.Id)));
        await Assert.ThrowsAsync<ArgumentException>("artifactId", () => Lineage.DeployAsync(S("chat"), S("no-such-model"), "ml-platform", Ct).AsTask());
        await Assert.ThrowsAsync<ArgumentException>("deploymentId", () => Lineage.RetireDeploymentAsync(S("nothing-here"), "ml-platform", Ct).AsTask());
        await Lineage.RetireArtifactAsync(m1.Id, "ml-platform", null, Ct);
        log++;
        await Assert.ThrowsAsync<ArgumentException>("artifactId", () => Lineage.DeployAsync(S("chat"), m1.Id, "ml-platform", Ct).AsTask());
        await Refused("artifact.Inputs", NewArtifact("M2", ArtifactKinds.FineTune, ArtifactInput.FromArtifact(m1.Id)));

        Assert.Equal(log, await LogLengthAsync());
        Assert.Equal([m1.Id], (await Lineage.GetGraphAsync(Ct)).Artifacts.Select(a => a.Id).Where(id => id.StartsWith(S(string.Empty), StringComparison.Ordinal)));

        async Task Refused(string field, NewArtifact artifact) =>
            await Assert.ThrowsAsync<ArgumentException>(field, () => Lineage.RecordArtifactAsync(artifact, Ct).AsTask());
    }

    /// <summary>Two instances racing to record one id: exactly one artifact is kept.</summary>
    [Fact]
    public async Task TwoRecordsOfOneId_AtOnce_KeepOne()
    {
        await GrantAsync("ada");
        var s1 = await BuildSetAsync("S1", "ada");
        var artifact = NewArtifact("M1", ArtifactKinds.Model, ArtifactInput.FromDataUse(s1));

        // Those that pass the lineage's own check together are left to the store, which keeps ids unique.
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            try
            {
                await Task.Yield();
                await Lineage.RecordArtifactAsync(artifact, Ct);
                return true;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }));

        Assert.Equal(1, results.Count(r => r));
        Assert.Single((await Lineage.GetGraphAsync(Ct)).Artifacts, a => a.Id == artifact.Id);
    }

    private ServiceProvider BuildWith(Action<ModelLineageOptions> configure) => SpecificationStack.Build(AddStore, b => b.ConfigureLineage(configure));

    private async Task<long> LogLengthAsync()
    {
        long count = 0;
        for (IReadOnlyList<ConsentProofEntry> page; (page = await Store.GetProofLogAsync(count, 10_000, Ct)).Count > 0;)
        {
            count = page[^1].Sequence;
        }

        return count;
    }

    private NewArtifact NewArtifact(string id, string kind, params ArtifactInput[] inputs) => new()
    {
        Id = S(id),
        Version = "1",
        Kind = kind,
        Owner = "ml-platform",
        BuiltAt = Services.GetRequiredService<TimeProvider>().GetUtcNow(),
        Inputs = inputs,
    };

    private async Task<ModelArtifact> RecordAsync(string id, string kind, params ArtifactInput[] inputs) =>
        await Lineage.RecordArtifactAsync(NewArtifact(id, kind, inputs), Ct);

    private Task GrantAsync(params string[] people) => GrantAsync(Services, people);

    private async Task GrantAsync(IServiceProvider services, params string[] people)
    {
        foreach (var person in people)
        {
            await services.GetRequiredService<IConsentRecorder>().GrantAsync(S(person), GenAi, ConsentEvidence.FromUserInterface("1", "spec"), Ct);
        }
    }

    private Task<string> BuildSetAsync(string id, params string[] people) => BuildSetAsync(Services, id, people);

    /// <summary>A training set built as apps build one: the pipeline filter, which asks the gate and records who went in.</summary>
    private async Task<string> BuildSetAsync(IServiceProvider services, string id, params string[] people)
    {
        var run = people.Select(S).WhereConsented(
            services.GetRequiredService<ConsentFilter>(), p => p, GenAi, new ConsentFilterOptions { DataUseId = S(id), DataUseDescription = $"training set {id}" });
        await foreach (var _ in run.WithCancellation(Ct))
        {
        }

        return S(id);
    }
}
