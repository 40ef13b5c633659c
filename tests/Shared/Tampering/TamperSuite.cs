using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConsentKit.Tampering;

/// <summary>
/// Someone with write access to the database switches the guards off (SQLite's triggers dropped,
/// PostgreSQL's by <c>session_replication_role</c>) and changes it directly, 25 ways. Each case asserts
/// what <see cref="ConsentHistoryVerifier"/> names (problem and first sequence) and what the gate then
/// answers; the same cases run on SQLite and PostgreSQL (compiled into both test projects).
/// </summary>
/// <remarks>
/// The history every case starts from (records · proof log):
/// 1 alice grant (metadata) · 2 bob grant · 3 alice refuses analytics · 4 carol grant · 5 bob withdraws ·
/// 6 dave grant · 7 frank grant, expired · 8 grace grant under outdated notice 0 · 9 erin grant ·
/// 10 erin's erasure closes it · 11 carol withdraws. Log: 1–7 registrations (alice … erin), 8 erin erased,
/// 9 training set ts-1 started, 10 its members alice (1), carol (4), dave (6), 11 it completed.
/// </remarks>
public abstract class TamperSuite
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Every case: what is changed, what verify names, and what the gate answers for whom afterwards.</summary>
    public static readonly IReadOnlyDictionary<string, TamperCase> Cases = new[]
    {
        // A record edited without recomputing its hash: found by verify, and refused by the gate at read time.
        new TamperCase("edit a withdrawal into a grant", "UPDATE consent_events SET status = 1, method = 1 WHERE sequence = 5;", ConsentVerificationProblem.ContentChanged, 5, "bob", ConsentDecisionReason.StoreUnavailable),
        new TamperCase("lift an expired grant's expiry", "UPDATE consent_events SET expires_at = NULL WHERE sequence = 7;", ConsentVerificationProblem.ContentChanged, 7, "frank", ConsentDecisionReason.StoreUnavailable),
        new TamperCase("bring an outdated notice version up to date", "UPDATE consent_events SET notice_version = '1' WHERE sequence = 8;", ConsentVerificationProblem.ContentChanged, 8, "grace", ConsentDecisionReason.StoreUnavailable),
        new TamperCase("edit a source", "UPDATE consent_events SET source = 'forged' WHERE sequence = 6;", ConsentVerificationProblem.ContentChanged, 6, "dave", ConsentDecisionReason.StoreUnavailable),
        new TamperCase("edit sealed metadata", "UPDATE consent_events SET metadata = hash WHERE sequence = 1;", ConsentVerificationProblem.ContentChanged, 1, "alice", ConsentDecisionReason.StoreUnavailable),
        new TamperCase("move a grant to another subject", "UPDATE consent_events SET subject_key = (SELECT subject_key FROM consent_events WHERE sequence = 2) WHERE sequence = 6;", ConsentVerificationProblem.ContentChanged, 6, "bob", ConsentDecisionReason.StoreUnavailable),
        new TamperCase("reorder two records", "UPDATE consent_events SET sequence = 1000 WHERE sequence = 6; UPDATE consent_events SET sequence = 6 WHERE sequence = 11; UPDATE consent_events SET sequence = 11 WHERE sequence = 1000;", ConsentVerificationProblem.OrderChanged, 6, "dave", ConsentDecisionReason.StoreUnavailable),
        new TamperCase(
            "append a record with a made-up hash",
            "INSERT INTO consent_events (sequence, previous_sequence, subject_key, purpose_id, status, notice_version, notice_digest, recorded_at, expires_at, method, source, metadata, hash, previous_hash) " +
            "SELECT 12, 11, subject_key, purpose_id, 1, notice_version, notice_digest, recorded_at, NULL, 1, source, metadata, hash, hash FROM consent_events WHERE sequence = 11;",
            ConsentVerificationProblem.ContentChanged, 12, "carol", ConsentDecisionReason.StoreUnavailable),

        // What the gate cannot see on a read (nothing left to check): verify finds it.
        new TamperCase("delete a withdrawal", "DELETE FROM consent_events WHERE sequence = 5;", ConsentVerificationProblem.RecordMissing, 5, "bob", ConsentDecisionReason.Granted),
        new TamperCase("change a kept notice text", "UPDATE consent_notices SET text = 'We never train on your posts.' WHERE purpose_id = 'ai-training.generative';", ConsentVerificationProblem.NoticeChanged, 1, "alice", ConsentDecisionReason.Granted),
        new TamperCase("point the current state back at an old grant", "UPDATE consent_current SET sequence = 2 WHERE sequence = 5;", ConsentVerificationProblem.CurrentStateDisagrees, 2, "bob", ConsentDecisionReason.Withdrawn),
        new TamperCase("drop a current-state row", "DELETE FROM consent_current WHERE sequence = 6;", ConsentVerificationProblem.CurrentStateDisagrees, 6, "dave", ConsentDecisionReason.Granted),
        new TamperCase(
            "delete the last record and fix the current state",
            "DELETE FROM consent_events WHERE sequence = 11; UPDATE consent_current SET sequence = 4 WHERE sequence = 11;",
            ConsentVerificationProblem.Truncated, 11, "carol", ConsentDecisionReason.Granted),

        // The subject registry: every change is found, and no one is ever allowed on another person's grant.
        new TamperCase(
            "swap two registry rows (alice and bob)",
            "UPDATE consent_subjects SET subject_id = 'swap' WHERE subject_id = 'alice'; UPDATE consent_subjects SET subject_id = 'alice' WHERE subject_id = 'bob'; UPDATE consent_subjects SET subject_id = 'bob' WHERE subject_id = 'swap';",
            ConsentVerificationProblem.SubjectRegistryChanged, 1, "bob", ConsentDecisionReason.StoreUnavailable),
        new TamperCase(
            "swap two subject keys, secrets left",
            "CREATE TEMP TABLE pair AS SELECT subject_id, subject_key, secret FROM consent_subjects WHERE subject_id IN ('alice', 'bob'); " +
            "DELETE FROM consent_subjects WHERE subject_id IN ('alice', 'bob'); " +
            "INSERT INTO consent_subjects (subject_id, subject_key, secret) SELECT a.subject_id, b.subject_key, a.secret FROM pair a JOIN pair b ON a.subject_id <> b.subject_id;",
            ConsentVerificationProblem.SubjectRegistryChanged, 1, "bob", ConsentDecisionReason.StoreUnavailable),
        new TamperCase(
            "re-point a subject at another's key and secret",
            "UPDATE consent_subjects SET subject_id = 'bob-old' WHERE subject_id = 'bob'; UPDATE consent_subjects SET subject_id = 'bob' WHERE subject_id = 'alice';",
            ConsentVerificationProblem.SubjectRegistryChanged, 1, "bob", ConsentDecisionReason.StoreUnavailable),
        new TamperCase("delete a registry row without an erasure", "DELETE FROM consent_subjects WHERE subject_id = 'dave';", ConsentVerificationProblem.SubjectRegistryChanged, 6, "dave", ConsentDecisionReason.NoRecord),
        new TamperCase("remove a registration from the proof log", "DELETE FROM consent_proof_log WHERE sequence = 2;", ConsentVerificationProblem.ProofLogChanged, 2, "bob", ConsentDecisionReason.StoreUnavailable),
        new TamperCase(
            "copy another subject's registration over one",
            "UPDATE consent_proof_log SET payload = (SELECT payload FROM consent_proof_log WHERE sequence = 1) WHERE sequence = 2;",
            ConsentVerificationProblem.ProofLogChanged, 2, "bob", ConsentDecisionReason.StoreUnavailable),

        // The ledger: a training set's membership is what the proof log recorded.
        new TamperCase(
            "remove a member from a training set",
            "DELETE FROM data_use_subjects WHERE subject_key = (SELECT subject_key FROM consent_subjects WHERE subject_id = 'carol');",
            ConsentVerificationProblem.LedgerChanged, 9, "carol", ConsentDecisionReason.Withdrawn),
        new TamperCase(
            "add a member to a training set after the fact",
            "INSERT INTO data_use_subjects (data_use_id, subject_key, consent_sequence) SELECT 'ts-1', subject_key, 2 FROM consent_subjects WHERE subject_id = 'bob';",
            ConsentVerificationProblem.LedgerChanged, 9, "bob", ConsentDecisionReason.Withdrawn),
        new TamperCase("edit a training set's subject count", "UPDATE data_uses SET subject_count = 2 WHERE id = 'ts-1';", ConsentVerificationProblem.LedgerChanged, 9, "alice", ConsentDecisionReason.Granted),
        new TamperCase("cut the proof log's last entry", "DELETE FROM consent_proof_log WHERE sequence = 11;", ConsentVerificationProblem.LedgerChanged, 9, "alice", ConsentDecisionReason.Granted),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    /// <summary>Registers the store under test.</summary>
    protected abstract void UseStore(IConsentKitBuilder kit);

    /// <summary>Runs <paramref name="sql"/> (unqualified table names, parameters as <c>@name</c>) with every guard switched off.</summary>
    protected abstract Task TamperAsync(string sql, IReadOnlyDictionary<string, object>? parameters = null);

    /// <summary>SQL that sets the store's own record counter back to <paramref name="sequence"/>.</summary>
    protected abstract string SetCounterBack(long sequence);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task ATampering_IsNamedByVerify_AndTheGateAnswers(string name)
    {
        var tamper = Cases[name];
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync();
        await TamperAsync(tamper.Sql);

        await using var services = Services(out var logs);
        var result = await services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct);
        var decision = await services.GetRequiredService<IConsentGate>().CheckAsync(tamper.Subject, ConsentPurposes.GenerativeAiTraining, ct);

        result.Problem.Should().Be(tamper.Problem, result.Message);
        result.FirstBadSequence.Should().Be(tamper.Sequence, result.Message);
        decision.Reason.Should().Be(tamper.GateAnswer, $"after '{name}' the gate answers so for {tamper.Subject}");
        if (tamper.GateAnswer == ConsentDecisionReason.StoreUnavailable)
        {
            logs.Entries.Should().ContainSingle(e => e.EventName == "StoreIntegrityViolation" && e.Level == LogLevel.Error);
            services.GetRequiredService<ConsentIntegrityMonitor>().LastViolation.Should().NotBeNull();
        }
    }

    [Fact]
    public async Task TheUntouchedHistory_Verifies_WithAnErasedSubject_AndTheGateAnswersAsRecorded()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync();
        await using var services = Services(out _);
        var gate = services.GetRequiredService<IConsentGate>();

        var result = await services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct);

        result.IsValid.Should().BeTrue(result.Message);
        result.RecordsChecked.Should().Be(11);
        result.LogEntriesChecked.Should().Be(11);
        var expected = new Dictionary<string, ConsentDecisionReason>
        {
            ["alice"] = ConsentDecisionReason.Granted, ["bob"] = ConsentDecisionReason.Withdrawn, ["carol"] = ConsentDecisionReason.Withdrawn,
            ["dave"] = ConsentDecisionReason.Granted, ["frank"] = ConsentDecisionReason.Expired, ["grace"] = ConsentDecisionReason.NoticeOutdated,
            ["erin"] = ConsentDecisionReason.NoRecord,
        };
        foreach (var (subject, reason) in expected)
        {
            (await gate.CheckAsync(subject, ConsentPurposes.GenerativeAiTraining, ct)).Reason.Should().Be(reason, subject);
        }
    }

    [Fact]
    public async Task CuttingOffTheEnd_AndSettingTheCounterBack_PassesAlone_ButNotAgainstAnAnchor()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync();
        ConsentChainHead anchor;
        await using (var before = Services(out _))
        {
            anchor = (await before.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct)).Head;
        }

        await TamperAsync("DELETE FROM consent_events WHERE sequence = 11; UPDATE consent_current SET sequence = 4 WHERE sequence = 11; " + SetCounterBack(10));
        await using var services = Services(out _);
        var verifier = services.GetRequiredService<ConsentHistoryVerifier>();

        var alone = await verifier.VerifyAsync(cancellationToken: ct);
        var anchored = await verifier.VerifyAsync(anchor, ct);

        alone.IsValid.Should().BeTrue("with the counter set back too, nothing in the database says a record is missing");
        alone.Anchored.Should().BeFalse();
        alone.ToString().Should().Contain(ConsentVerificationResult.NoAnchorCaveat);
        anchored.Problem.Should().Be(ConsentVerificationProblem.AnchorMismatch, anchored.Message);
        anchored.FirstBadSequence.Should().Be(11);
    }

    [Fact]
    public async Task RewritingTheTailWithRecomputedHashes_PassesAlone_ButNotAgainstAnAnchor()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync();
        ConsentChainHead anchor;
        IReadOnlyList<ConsentChainEntry> chain;
        await using (var before = Services(out _))
        {
            anchor = (await before.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct)).Head;
            chain = await before.GetRequiredService<IConsentStore>().GetChainAsync(0, 100, ct);
        }

        // Turn bob's withdrawal (5) into a grant and recompute the hash of 5 and of everything after it,
        // previous hashes included: every row checks out on its own, and the chain links.
        var previous = chain[3].Hash;
        var sql = new System.Text.StringBuilder();
        var parameters = new Dictionary<string, object>();
        foreach (var entry in chain.Skip(4))
        {
            var changed = entry.Sequence == 5 ? entry with { Status = ConsentStatus.Granted, Method = ConsentMethod.SubjectUserInterface } : entry;
            var rewritten = ConsentChain.Link(changed, previous.Span);
            sql.Append($"UPDATE consent_events SET status = {(int)changed.Status}, method = {(int)changed.Method}, hash = @h{entry.Sequence}, previous_hash = @p{entry.Sequence} WHERE sequence = {entry.Sequence}; ");
            parameters[$"h{entry.Sequence}"] = rewritten.Hash.ToArray();
            parameters[$"p{entry.Sequence}"] = previous.ToArray();
            previous = rewritten.Hash;
        }

        await TamperAsync(sql.ToString(), parameters);
        await using var services = Services(out _);
        var verifier = services.GetRequiredService<ConsentHistoryVerifier>();

        var alone = await verifier.VerifyAsync(cancellationToken: ct);
        var anchored = await verifier.VerifyAsync(anchor, ct);
        var bob = await services.GetRequiredService<IConsentGate>().CheckAsync("bob", ConsentPurposes.GenerativeAiTraining, ct);

        alone.IsValid.Should().BeTrue("an unkeyed chain rewritten from the change on is consistent in itself");
        bob.IsAllowed.Should().BeTrue("every row the gate reads checks out: only an anchor exported before finds this");
        anchored.Problem.Should().Be(ConsentVerificationProblem.AnchorMismatch, anchored.Message);
        anchored.FirstBadSequence.Should().Be(anchor.Sequence);
    }

    [Fact]
    public async Task AForgedGrantInsertedInTheMiddle_WithAValidHash_IsFoundWhereItWasInserted()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync();
        IReadOnlyList<ConsentChainEntry> chain;
        await using (var before = Services(out _))
        {
            chain = await before.GetRequiredService<IConsentStore>().GetChainAsync(0, 100, ct);
        }

        // The attacker knows the algorithm: the forged grant for bob hashes correctly after record 3.
        var forged = ConsentChain.Link(
            chain[1] with { Sequence = 4, PreviousSequence = 3, RecordedAtUtcTicks = chain[2].RecordedAtUtcTicks, Hash = ReadOnlyMemory<byte>.Empty },
            chain[2].Hash.Span);
        await TamperAsync(
            "UPDATE consent_events SET sequence = sequence + 100 WHERE sequence >= 4; UPDATE consent_events SET sequence = sequence - 99 WHERE sequence >= 100; " +
            "INSERT INTO consent_events (sequence, previous_sequence, subject_key, purpose_id, status, notice_version, notice_digest, recorded_at, expires_at, method, source, metadata, hash, previous_hash) " +
            "SELECT 4, 3, subject_key, purpose_id, status, notice_version, notice_digest, @at, expires_at, method, source, metadata, @hash, @previous FROM consent_events WHERE sequence = 2;",
            new Dictionary<string, object> { ["at"] = forged.RecordedAtUtcTicks, ["hash"] = forged.Hash.ToArray(), ["previous"] = chain[2].Hash.ToArray() });
        await using var services = Services(out _);

        var result = await services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct);
        var bob = await services.GetRequiredService<IConsentGate>().CheckAsync("bob", ConsentPurposes.GenerativeAiTraining, ct);

        result.Problem.Should().Be(ConsentVerificationProblem.OrderChanged, result.Message);
        result.FirstBadSequence.Should().Be(4);
        bob.Reason.Should().Be(ConsentDecisionReason.StoreUnavailable, "bob's withdrawal moved to 6 and no longer matches its hash");
    }

    /// <summary>The services over the store under test, logs captured.</summary>
    [Fact]
    public async Task AnEditedLineageEdge_FailsVerify_AndTheLineageIsNotReadFromIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync();
        await using (var services = Services(out _))
        {
            var lineage = services.GetRequiredService<IModelLineage>();
            await lineage.RecordArtifactAsync(Artifact("m1", ArtifactInput.FromDataUse("ts-1")), ct);
            await lineage.RecordArtifactAsync(Artifact("m2", ArtifactInput.FromArtifact("m1")), ct);
        }

        // m2's entry (log #13) made to say what m1's (#12) says: its edge to m1 is gone, its hash no longer fits.
        await TamperAsync("UPDATE consent_proof_log SET payload = (SELECT payload FROM consent_proof_log WHERE sequence = 12) WHERE sequence = 13;");

        await using var tampered = Services(out _);
        var result = await tampered.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct);
        var read = async () => await tampered.GetRequiredService<IModelLineage>().GetGraphAsync(ct);

        result.Problem.Should().Be(ConsentVerificationProblem.ProofLogChanged, result.Message);
        result.FirstBadSequence.Should().Be(13, result.Message);
        (await read.Should().ThrowAsync<ConsentStoreIntegrityException>()).Which.Sequence.Should().Be(13);
    }

    private static NewArtifact Artifact(string id, params ArtifactInput[] inputs) =>
        new() { Id = id, Version = "1", Kind = ArtifactKinds.Model, Owner = "ml", BuiltAt = T0.AddMinutes(10), Inputs = inputs };

    protected ServiceProvider Services(out ListLoggerProvider logs)
    {
        logs = new ListLoggerProvider();
        var captured = logs;
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(captured));
        var kit = services.AddConsentKit().AddStandardPurposes();
        UseStore(kit);
        return services.BuildServiceProvider();
    }

    private async Task SeedAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = Services(out _);
        var store = services.GetRequiredService<IConsentStore>();
        var ledger = services.GetRequiredService<IDataUseLedger>();
        await store.SaveNoticesAsync([ConsentNotice.For(new ConsentPurpose(ConsentPurposes.GenerativeAiTraining, "Generative AI training", "We may use your posts to train models.", "1"))], T0, ct);
        await store.AppendAsync(Grant("alice", metadata: new Dictionary<string, string> { ["ip"] = "192.0.2.1" }), ct);
        await store.AppendAsync(Grant("bob"), ct);
        await store.AppendAsync(new NewConsentRecord("alice", ConsentPurposes.Analytics, ConsentStatus.Refused, "1", T0, null, ConsentMethod.SubjectUserInterface), ct);
        await store.AppendAsync(Grant("carol"), ct);
        await store.AppendAsync(Withdrawal("bob", 1), ct);
        await store.AppendAsync(Grant("dave"), ct);
        await store.AppendAsync(Grant("frank", expiresAt: T0.AddDays(1)), ct);
        await store.AppendAsync(Grant("grace", noticeVersion: "0"), ct);
        await store.AppendAsync(Grant("erin"), ct);
        (await store.EraseSubjectAsync("erin", T0.AddMinutes(2), ct)).Should().ContainSingle();
        await ledger.StartAsync(new NewDataUse { Id = "ts-1", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "Training set 1", StartedAt = T0.AddMinutes(3) }, ct);
        await ledger.AddSubjectsAsync(
            "ts-1",
            [new DataUseSubject { SubjectId = "alice", ConsentSequence = 1 }, new DataUseSubject { SubjectId = "carol", ConsentSequence = 4 }, new DataUseSubject { SubjectId = "dave", ConsentSequence = 6 }],
            ct);
        await ledger.CompleteAsync("ts-1", T0.AddMinutes(4), 10, 3, ct);
        await store.AppendAsync(Withdrawal("carol", 5), ct);
        var seeded = await services.GetRequiredService<ConsentHistoryVerifier>().VerifyAsync(cancellationToken: ct);
        seeded.IsValid.Should().BeTrue(seeded.Message);
        seeded.Head.Sequence.Should().Be(11);
        seeded.Head.LogSequence.Should().Be(11);
    }

    private static NewConsentRecord Grant(string subject, string noticeVersion = "1", DateTimeOffset? expiresAt = null, IReadOnlyDictionary<string, string>? metadata = null) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, noticeVersion, T0, expiresAt, ConsentMethod.SubjectUserInterface, "settings-page", metadata);

    private static NewConsentRecord Withdrawal(string subject, int minutes) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, "1", T0.AddMinutes(minutes), null, ConsentMethod.SubjectUserInterface);
}

/// <summary>One way to tamper, what verify names, and what the gate answers for <see cref="Subject"/> afterwards.</summary>
public sealed record TamperCase(string Name, string Sql, ConsentVerificationProblem Problem, long Sequence, string Subject, ConsentDecisionReason GateAnswer);

/// <summary>Captures log entries' level and event name.</summary>
public sealed class ListLoggerProvider : ILoggerProvider
{
    public List<(LogLevel Level, string? EventName)> Entries { get; } = [];

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.Entries)
            {
                owner.Entries.Add((logLevel, eventId.Name));
            }
        }
    }
}
