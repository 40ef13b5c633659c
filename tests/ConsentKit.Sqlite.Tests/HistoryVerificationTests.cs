using System.Security.Cryptography;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ConsentKit.Sqlite.Tests;

/// <summary>
/// The hosted verifier on a real SQLite file and a real anchor directory: each round verifies against the
/// latest anchored head and anchors the new one; a round that fails closes the gate and the health check.
/// </summary>
public sealed class HistoryVerificationTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private string Anchors => Path.Combine(_database.Directory, "anchors");

    [Fact]
    public async Task ARound_AnchorsASignedHead_OnlyWhenTheHistoryGrew()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = Provider();
        var recorder = provider.GetRequiredService<IConsentRecorder>();
        await recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);

        var first = await Service(provider).VerifyOnceAsync(ct);
        var unchanged = await Service(provider).VerifyOnceAsync(ct);
        await recorder.WithdrawAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);
        var grown = await Service(provider).VerifyOnceAsync(ct);

        first.IsValid.Should().BeTrue(first.Message);
        unchanged.Anchored.Should().BeTrue("the second round checks against the head the first anchored");
        grown.IsValid.Should().BeTrue(grown.Message);
        Directory.GetFiles(Anchors).Should().HaveCount(2, "a head is anchored when it moved, not every round");
        var latest = (await new DirectoryConsentHeadAnchor(Anchors).GetLatestAsync(ct))!;
        latest.Head.Should().Be(grown.Head);
        latest.Head.HasValidSignature(latest.Signature!, _key).Should().BeTrue();
        var health = await HealthAsync(provider);
        health.Status.Should().Be(HealthStatus.Healthy);
        health.Data["lastVerifiedSequence"].Should().Be(grown.Head.Sequence);
    }

    [Fact]
    public async Task ARoundThatFindsTheEndCutOff_ClosesTheGate_AndTheHealthCheck()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = Provider();
        var recorder = provider.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        await recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        await recorder.GrantAsync("bob", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        await recorder.WithdrawAsync("bob", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        (await Service(provider).VerifyOnceAsync(ct)).IsValid.Should().BeTrue();

        // Bob's withdrawal cut off, the current state and SQLite's counter set back: only the anchor knows.
        Tamper("DELETE FROM consent_events WHERE sequence = 3; UPDATE consent_current SET sequence = 2 WHERE sequence = 3; UPDATE sqlite_sequence SET seq = 2 WHERE name = 'consent_events';");
        var failed = await Service(provider).VerifyOnceAsync(ct);

        failed.Problem.Should().Be(ConsentVerificationProblem.AnchorMismatch, failed.Message);
        failed.FirstBadSequence.Should().Be(3);
        var gate = provider.GetRequiredService<IConsentGate>();
        (await gate.CheckAsync("bob", ConsentPurposes.GenerativeAiTraining, ct)).Reason.Should().Be(ConsentDecisionReason.StoreUnavailable, "the revived grant is not honoured");
        (await gate.CheckAsync("ada", ConsentPurposes.GenerativeAiTraining, ct)).Reason.Should().Be(ConsentDecisionReason.StoreUnavailable, "a store that does not verify is a failing store");
        (await gate.CheckManyAsync(["ada", "bob"], ConsentPurposes.GenerativeAiTraining, ct)).Values.Should().OnlyContain(d => d.Reason == ConsentDecisionReason.StoreUnavailable);
        var scan = async () => await provider.GetRequiredService<IConsentPurposeReader>().ReadAllowedAsync(ConsentPurposes.GenerativeAiTraining, ct);
        await scan.Should().ThrowAsync<ConsentStoreException>();
        var health = await HealthAsync(provider);
        health.Status.Should().Be(HealthStatus.Unhealthy);
        health.Description.Should().Contain("AnchorMismatch");
        Directory.GetFiles(Anchors).Should().ContainSingle("a head that does not verify is never anchored");
    }

    [Fact]
    public async Task AnAnchoredHeadNotSignedWithTheKey_FailsTheRound()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = Provider();
        await provider.GetRequiredService<IConsentRecorder>().GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);
        var head = (await provider.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct)).Head;
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await new DirectoryConsentHeadAnchor(Anchors).AddAsync(new ConsentAnchoredHead { Head = head, Signature = head.Sign(other), AnchoredAt = DateTimeOffset.UtcNow }, ct);

        var result = await Service(provider).VerifyOnceAsync(ct);

        result.Problem.Should().Be(ConsentVerificationProblem.AnchorMismatch);
        result.Message.Should().Contain("not signed with the verification key");
        (await provider.GetRequiredService<IConsentGate>().CheckAsync("ada", ConsentPurposes.GenerativeAiTraining, ct)).Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);
    }

    [Fact]
    public async Task RoundsBetweenWholeOnes_VerifyOnlyTheNewPart_AndStillFindTheEndCutOff()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = Provider(fullEvery: 3);
        var recorder = provider.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        await recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        var service = Service(provider);

        var first = await service.VerifyOnceAsync(ct);
        await recorder.GrantAsync("bob", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        var second = await service.VerifyOnceAsync(ct);
        await recorder.WithdrawAsync("bob", ConsentPurposes.GenerativeAiTraining, evidence, ct);

        // Bob's withdrawal (3, the anchored head) cut off with the counter set back.
        Tamper("DELETE FROM consent_events WHERE sequence = 3; UPDATE consent_current SET sequence = 2 WHERE sequence = 3; UPDATE sqlite_sequence SET seq = 2 WHERE name = 'consent_events';");
        var third = await service.VerifyOnceAsync(ct);

        first.Incremental.Should().BeFalse("the first round verifies everything");
        second.Incremental.Should().BeTrue();
        second.RecordsChecked.Should().Be(1, "only bob's grant was new");
        third.IsValid.Should().BeTrue("the withdrawal was never anchored: nothing after the anchor says it existed");
        (await provider.GetRequiredService<ConsentHistoryVerifier>().VerifySinceAsync(third.Head, ct)).IsValid.Should().BeTrue();
        await recorder.WithdrawAsync("bob", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        var fourth = await service.VerifyOnceAsync(ct);
        fourth.Incremental.Should().BeFalse("every third round verifies everything");
        fourth.IsValid.Should().BeTrue(fourth.Message);
    }

    [Fact]
    public async Task AnIncrementalRound_FindsTheAnchoredRecordGone_AndTheNextRoundIsWhole()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = Provider(fullEvery: 100);
        var recorder = provider.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        await recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        await recorder.GrantAsync("bob", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        var service = Service(provider);
        (await service.VerifyOnceAsync(ct)).IsValid.Should().BeTrue();

        Tamper("DROP TRIGGER consent_current_no_delete; DELETE FROM consent_events WHERE sequence = 2; DELETE FROM consent_current WHERE sequence = 2; UPDATE sqlite_sequence SET seq = 1 WHERE name = 'consent_events';");
        var cut = await service.VerifyOnceAsync(ct);
        var next = await service.VerifyOnceAsync(ct);

        cut.Incremental.Should().BeTrue();
        cut.Problem.Should().Be(ConsentVerificationProblem.AnchorMismatch, cut.Message);
        cut.FirstBadSequence.Should().Be(2);
        (await provider.GetRequiredService<IConsentGate>().CheckAsync("ada", ConsentPurposes.GenerativeAiTraining, ct)).Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);
        next.Incremental.Should().BeFalse("after a failure the next round verifies everything");
        next.IsValid.Should().BeFalse();
    }

    [Fact]
    public async Task AnIncrementalRound_DoesNotRecheckWhatCameBeforeTheAnchor_AWholeOneDoes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var provider = Provider(fullEvery: 2);
        var recorder = provider.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");
        await recorder.GrantAsync("ada", ConsentPurposes.GenerativeAiTraining, evidence, ct);
        var service = Service(provider);
        (await service.VerifyOnceAsync(ct)).IsValid.Should().BeTrue();

        // Ada's grant (1, before the anchor) edited without recomputing its hash: the gate refuses it on read.
        Tamper("DROP TRIGGER consent_events_no_update; UPDATE consent_events SET source = 'forged' WHERE sequence = 1;");
        var incremental = await service.VerifyOnceAsync(ct);
        var whole = await service.VerifyOnceAsync(ct);

        incremental.Incremental.Should().BeTrue();
        incremental.IsValid.Should().BeTrue("an incremental round reads only what came after the anchor");
        whole.Problem.Should().Be(ConsentVerificationProblem.ContentChanged);
        whole.FirstBadSequence.Should().Be(1);
    }

    [Fact]
    public async Task AnIntervalThatCannotWork_StopsTheHostAtStart()
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString).AddHistoryVerification(o => o.Interval = TimeSpan.Zero);
        await using var provider = services.BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<ConsentHistoryVerificationOptions>>().Value;

        read.Should().Throw<OptionsValidationException>().WithMessage("*Interval must be positive*");
        services.AddConsentKit().AddHistoryVerification(o => o.FullVerificationEvery = 0);
        await using var other = services.BuildServiceProvider();
        var zero = () => other.GetRequiredService<IOptions<ConsentHistoryVerificationOptions>>().Value;
        zero.Should().Throw<OptionsValidationException>().WithMessage("*FullVerificationEvery must be at least 1*");
    }

    public void Dispose()
    {
        _key.Dispose();
        _database.Dispose();
    }

    private ServiceProvider Provider(int fullEvery = 24)
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString)
            .UseHeadAnchorDirectory(Anchors)
            .AddHistoryVerification(o =>
            {
                o.SigningKey = _key;
                o.FullVerificationEvery = fullEvery;
            });
        return services.BuildServiceProvider();
    }

    private static ConsentHistoryVerificationService Service(IServiceProvider provider) =>
        provider.GetServices<IHostedService>().OfType<ConsentHistoryVerificationService>().Single();

    private static Task<HealthCheckResult> HealthAsync(IServiceProvider provider) =>
        ActivatorUtilities.CreateInstance<SqliteConsentStoreHealthCheck>(provider).CheckHealthAsync(
            new HealthCheckContext { Registration = new HealthCheckRegistration("consent-store", _ => null!, HealthStatus.Unhealthy, null) });

    private void Tamper(string sql)
    {
        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "DROP TRIGGER consent_events_no_delete; DROP TRIGGER consent_current_latest_only_update; " + sql;
        command.ExecuteNonQuery();
    }
}
