using ConsentKit.Receipts;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

public sealed class ExportAndAuditTests : IDisposable
{
    private readonly ReceiptTestKit _kit = new();

    private IConsentSubjectExporter Exporter => _kit.Kit.Provider.GetRequiredService<IConsentSubjectExporter>();

    private IDataUseAuditor Auditor => _kit.Kit.Provider.GetRequiredService<IDataUseAuditor>();

    [Fact]
    public async Task TheExport_HoldsExactlyTheSubjectsRecordsAndDataUses_EachRecordWithAReceiptThatVerifies()
    {
        var ct = TestContext.Current.CancellationToken;
        var adaGrant = await _kit.Kit.GrantAsync("ada");
        await _kit.Kit.GrantAsync("bob");
        await _kit.Kit.GrantAsync("ada", ConsentPurposes.Analytics);
        await BuildSetAsync("set-1", "ada", "bob");
        await _kit.Kit.WithdrawAsync("ada");

        var export = await Exporter.ExportAsync("ada", ct);

        export.SubjectId.Should().Be("ada");
        export.ExportedAt.Should().Be(_kit.Kit.Time.GetUtcNow());
        export.Records.Select(r => (r.PurposeId, r.Status)).Should().Equal(
            (ConsentPurposes.GenerativeAiTraining, "granted"), (ConsentPurposes.Analytics, "granted"), (ConsentPurposes.GenerativeAiTraining, "withdrawn"));
        export.Records.Should().OnlyContain(r => r.NoticeText != null);
        foreach (var record in export.Records)
        {
            var check = await _kit.Receipts.VerifyAsync(record.Receipt, ct);
            check.IsValid.Should().BeTrue(check.ToString());
            check.Receipt!.RecordId.Should().Be(record.Sequence);
            check.Receipt.PiiPrincipalId.Should().Be("ada");
        }

        export.DataUses.Should().ContainSingle().Which.Should().Match<ExportedDataUse>(u => u.DataUse.Id == "set-1" && u.ConsentSequence == adaGrant.Sequence);
    }

    [Fact]
    public async Task TheExport_OfSomeoneNeverSeen_IsEmpty()
    {
        await _kit.Kit.GrantAsync("bob");

        var export = await Exporter.ExportAsync("nobody", TestContext.Current.CancellationToken);

        export.Records.Should().BeEmpty();
        export.DataUses.Should().BeEmpty();
    }

    [Fact]
    public async Task TheAuditOfASetBuiltBeforeAWithdrawal_PassesAndListsTheWithdrawal()
    {
        var ct = TestContext.Current.CancellationToken;
        await _kit.Kit.GrantAsync("ada");
        await _kit.Kit.GrantAsync("bob");
        await BuildSetAsync("set-1", "ada", "bob");
        _kit.Kit.Time.Advance(TimeSpan.FromHours(1));
        var withdrawal = await _kit.Kit.WithdrawAsync("bob");

        var signed = await Auditor.AuditAsync("set-1", ct);

        var audit = signed!.Audit;
        audit.HistoryVerified.Should().BeTrue(audit.HistoryVerification);
        audit.Included.Should().Be(2);
        audit.ValidAtStart.Should().Be(2);
        audit.Passed.Should().BeTrue();
        audit.Subjects.Single(s => s.SubjectId == "bob").WithdrawnSince!.Sequence.Should().Be(withdrawal.Sequence);
        audit.Subjects.Single(s => s.SubjectId == "ada").WithdrawnSince.Should().BeNull();
        audit.Summary.Should().Contain("2 subjects included").And.Contain("1 withdrawn since: bob").And.EndWith("PASSED.");
        signed.Token.Split('.').Should().HaveCount(3);
    }

    [Fact]
    public async Task AGrantWithdrawnBeforeTheRunStarted_FailsTheAudit()
    {
        var ct = TestContext.Current.CancellationToken;
        var grant = await _kit.Kit.GrantAsync("ada");
        await _kit.Kit.WithdrawAsync("ada");
        var ledger = (IDataUseLedger)_kit.Inner;
        await ledger.StartAsync(new NewDataUse { Id = "bad-set", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "built from a stale list", StartedAt = _kit.Kit.Time.GetUtcNow() }, ct);
        await ledger.AddSubjectsAsync("bad-set", [new DataUseSubject { SubjectId = "ada", ConsentSequence = grant.Sequence }], ct);

        var audit = (await Auditor.AuditAsync("bad-set", ct))!.Audit;

        audit.Subjects.Should().ContainSingle().Which.Finding.Should().Be(DataUseAuditFinding.WithdrawnBeforeStart);
        audit.Passed.Should().BeFalse();
        audit.Summary.Should().Contain("1 WithdrawnBeforeStart").And.EndWith("FAILED.");
    }

    [Fact]
    public async Task AGrantWhoseLifetimeHadEndedAtTheStart_FailsTheAudit_EvenWithoutARecordedExpiry()
    {
        // The audit decides with the gate's rules at the run's start: a lifetime ends a grant as surely as a
        // recorded expiry (an imported grant carries none).
        var ct = TestContext.Current.CancellationToken;
        using var kit = ReceiptTestKit.WithNewsletter();
        var grant = await kit.ImportGrantAsync("ada", "newsletter");
        kit.Kit.Time.Advance(TimeSpan.FromDays(400));
        var ledger = (IDataUseLedger)kit.Inner;
        await ledger.StartAsync(new NewDataUse { Id = "late-set", PurposeId = "newsletter", Description = "built from an old list", StartedAt = kit.Kit.Time.GetUtcNow() }, ct);
        await ledger.AddSubjectsAsync("late-set", [new DataUseSubject { SubjectId = "ada", ConsentSequence = grant.Sequence }], ct);

        var audit = (await kit.Kit.Provider.GetRequiredService<IDataUseAuditor>().AuditAsync("late-set", ct))!.Audit;

        audit.Subjects.Should().ContainSingle().Which.Finding.Should().Be(DataUseAuditFinding.ExpiredAtStart);
        audit.Passed.Should().BeFalse();
    }

    [Theory]
    [InlineData(1, DataUseAuditFinding.ValidAtStart)]
    [InlineData(3, DataUseAuditFinding.ExpiredAtStart)]
    public async Task AnAuditOfAPurposeThisAppDoesNotRegister_JudgesItFromTheStore(int daysBeforeStart, DataUseAuditFinding expected)
    {
        // As the operator tool does: it registers only the standard purposes, the app had "newsletter".
        var ct = TestContext.Current.CancellationToken;
        var now = _kit.Kit.Time.GetUtcNow();
        var grant = await _kit.Inner.AppendAsync(
            new NewConsentRecord("ada", "newsletter", ConsentStatus.Granted, "3", now, now.AddDays(2), ConsentMethod.SubjectUserInterface), ct);
        _kit.Kit.Time.Advance(TimeSpan.FromDays(daysBeforeStart));
        var ledger = (IDataUseLedger)_kit.Inner;
        await ledger.StartAsync(new NewDataUse { Id = "mail-set", PurposeId = "newsletter", Description = "a mailing", StartedAt = _kit.Kit.Time.GetUtcNow() }, ct);
        await ledger.AddSubjectsAsync("mail-set", [new DataUseSubject { SubjectId = "ada", ConsentSequence = grant.Sequence }], ct);

        var audit = (await Auditor.AuditAsync("mail-set", ct))!.Audit;

        audit.Subjects.Should().ContainSingle().Which.Finding.Should().Be(expected);
    }

    [Fact]
    public async Task AGrantAlteredInTheStore_FailsTheAudit()
    {
        var ct = TestContext.Current.CancellationToken;
        var grant = await _kit.Kit.GrantAsync("ada");
        await BuildSetAsync("set-1", "ada");
        _kit.Store.Change = e => e.Sequence == grant.Sequence ? e with { ExpiresAtUtcTicks = null, RecordedAtUtcTicks = e.RecordedAtUtcTicks - 1 } : e;

        var audit = (await Auditor.AuditAsync("set-1", ct))!.Audit;

        audit.Subjects.Single().Finding.Should().Be(DataUseAuditFinding.GrantAltered);
        audit.HistoryVerified.Should().BeFalse();
        audit.Passed.Should().BeFalse();
    }

    [Fact]
    public async Task AnUnknownDataUse_HasNoAudit()
    {
        (await Auditor.AuditAsync("no-such-set", TestContext.Current.CancellationToken)).Should().BeNull();
    }

    private async Task BuildSetAsync(string id, params string[] authors)
    {
        var filter = _kit.Kit.Provider.GetRequiredService<ConsentFilter>();
        var run = authors.WhereConsented(filter, a => a, ConsentPurposes.GenerativeAiTraining, new ConsentFilterOptions { DataUseId = id, DataUseDescription = id });
        await foreach (var _ in run.WithCancellation(TestContext.Current.CancellationToken))
        {
        }
    }

    public void Dispose() => _kit.Dispose();
}
