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
    public async Task AnIntervalThatCannotWork_StopsTheHostAtStart()
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString).AddHistoryVerification(o => o.Interval = TimeSpan.Zero);
        await using var provider = services.BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<ConsentHistoryVerificationOptions>>().Value;

        read.Should().Throw<OptionsValidationException>().WithMessage("*Interval must be positive*");
    }

    public void Dispose()
    {
        _key.Dispose();
        _database.Dispose();
    }

    private ServiceProvider Provider()
    {
        var services = new ServiceCollection();
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString)
            .UseHeadAnchorDirectory(Anchors)
            .AddHistoryVerification(o => o.SigningKey = _key);
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
