using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConsentKit.Sqlite.Tests;

/// <summary>
/// Someone with write access to the file drops the triggers and changes the history directly; the
/// verifier names the first bad sequence, and the gate refuses a current-state row the events do not back.
/// </summary>
public sealed class TamperTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _database = new();

    [Theory]
    [InlineData("edit a withdrawal into a grant", "UPDATE consent_events SET status = 1, method = 1 WHERE sequence = 5;", ConsentVerificationProblem.ContentChanged, 5)]
    [InlineData("edit a source", "UPDATE consent_events SET source = 'forged' WHERE sequence = 3;", ConsentVerificationProblem.ContentChanged, 3)]
    [InlineData("edit sealed metadata", "UPDATE consent_events SET metadata = x'00' WHERE sequence = 1;", ConsentVerificationProblem.ContentChanged, 1)]
    [InlineData("move a record to another subject", "UPDATE consent_events SET subject_key = (SELECT subject_key FROM consent_events WHERE sequence = 2) WHERE sequence = 4;", ConsentVerificationProblem.ContentChanged, 4)]
    [InlineData("delete a record", "DELETE FROM consent_events WHERE sequence = 3;", ConsentVerificationProblem.RecordMissing, 3)]
    [InlineData("reorder two records", "UPDATE consent_events SET sequence = -2 WHERE sequence = 2; UPDATE consent_events SET sequence = 2 WHERE sequence = 4; UPDATE consent_events SET sequence = 4 WHERE sequence = -2;", ConsentVerificationProblem.OrderChanged, 2)]
    [InlineData("append a record with a made-up hash", "INSERT INTO consent_events SELECT 7, 6, subject_key, purpose_id, 1, notice_version, notice_digest, recorded_at, NULL, 1, source, metadata, zeroblob(32) FROM consent_events WHERE sequence = 5;", ConsentVerificationProblem.ContentChanged, 7)]
    [InlineData("change a kept notice text", "UPDATE consent_notices SET text = 'We never train on your posts.';", ConsentVerificationProblem.NoticeChanged, 1)]
    [InlineData("point the current state back at an old grant", "UPDATE consent_current SET sequence = 2 WHERE sequence = 5;", ConsentVerificationProblem.CurrentStateDisagrees, 2)]
    [InlineData("drop a current-state row", "DELETE FROM consent_current WHERE sequence = 4;", ConsentVerificationProblem.CurrentStateDisagrees, 4)]
    public async Task ChangingTheFileDirectly_IsFound_AtTheExactSequence(string change, string sql, ConsentVerificationProblem problem, long sequence)
    {
        using var store = await SeedAsync();
        Tamper(sql);

        var result = await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: TestContext.Current.CancellationToken);

        result.IsValid.Should().BeFalse(change);
        result.Problem.Should().Be(problem, result.Message);
        result.FirstBadSequence.Should().Be(sequence, result.Message);
    }

    [Fact]
    public async Task InsertingAForgedGrantInTheMiddle_WithAValidHash_IsFoundWhereItWasInserted()
    {
        using var store = await SeedAsync();
        var chain = await store.GetChainAsync(0, 100, TestContext.Current.CancellationToken);

        // The attacker knows the algorithm: the forged record itself hashes correctly after record 3.
        var forged = ConsentChain.Link(
            new ConsentChainEntry
            {
                Sequence = 4, PreviousSequence = 3, SubjectKey = chain[1].SubjectKey, PurposeId = chain[1].PurposeId, Status = ConsentStatus.Granted,
                NoticeVersion = "1", NoticeDigest = chain[1].NoticeDigest, RecordedAtUtcTicks = chain[2].RecordedAtUtcTicks, ExpiresAtUtcTicks = null,
                Method = ConsentMethod.SubjectUserInterface, Source = "settings-page", SealedMetadata = ReadOnlyMemory<byte>.Empty, Hash = ReadOnlyMemory<byte>.Empty,
            },
            chain[2].Hash.Span);
        Tamper("UPDATE consent_events SET sequence = sequence + 100 WHERE sequence >= 4; UPDATE consent_events SET sequence = sequence - 99 WHERE sequence >= 100;");
        using (var connection = _database.OpenRaw())
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO consent_events VALUES (4, 3, $key, $purpose, 1, '1', $digest, $at, NULL, 1, 'settings-page', x'', $hash);";
            insert.Parameters.AddWithValue("$key", forged.SubjectKey.ToArray());
            insert.Parameters.AddWithValue("$purpose", forged.PurposeId);
            insert.Parameters.AddWithValue("$digest", forged.NoticeDigest.ToArray());
            insert.Parameters.AddWithValue("$at", forged.RecordedAtUtcTicks);
            insert.Parameters.AddWithValue("$hash", forged.Hash.ToArray());
            insert.ExecuteNonQuery();
        }

        var result = await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: TestContext.Current.CancellationToken);

        result.Problem.Should().Be(ConsentVerificationProblem.OrderChanged, result.Message);
        result.FirstBadSequence.Should().Be(4);
    }

    [Fact]
    public async Task RewritingEveryHashAfterAnEdit_PassesAlone_ButNotAgainstAHeadExportedBefore()
    {
        using var store = await SeedAsync();
        var ct = TestContext.Current.CancellationToken;
        var anchor = (await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: ct)).Head;

        // Turn bob's withdrawal (5) into a grant and recompute the hash of 5 and of everything after it.
        Tamper("UPDATE consent_events SET status = 1, method = 1 WHERE sequence = 5;");
        var chain = await store.GetChainAsync(0, 100, ct);
        var previous = chain[3].Hash;
        using (var connection = _database.OpenRaw())
        {
            foreach (var entry in chain.Skip(4))
            {
                var rewritten = ConsentChain.Link(entry, previous.Span);
                using var update = connection.CreateCommand();
                update.CommandText = "UPDATE consent_events SET hash = $hash WHERE sequence = $sequence;";
                update.Parameters.AddWithValue("$hash", rewritten.Hash.ToArray());
                update.Parameters.AddWithValue("$sequence", entry.Sequence);
                update.ExecuteNonQuery();
                previous = rewritten.Hash;
            }
        }

        var alone = await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: ct);
        var anchored = await new ConsentHistoryVerifier(store).VerifyAsync(anchor, ct);

        alone.IsValid.Should().BeTrue("an unkeyed chain rewritten from the change on is consistent in itself");
        anchored.Problem.Should().Be(ConsentVerificationProblem.AnchorMismatch);
        anchored.FirstBadSequence.Should().Be(anchor.Sequence);
    }

    [Fact]
    public async Task DeletingTheNewestRecords_IsFoundAgainstAnExportedHead()
    {
        using var store = await SeedAsync();
        var anchor = (await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: TestContext.Current.CancellationToken)).Head;
        Tamper("DELETE FROM consent_events WHERE sequence = 6; DELETE FROM consent_current WHERE sequence = 6;");

        var result = await new ConsentHistoryVerifier(store).VerifyAsync(anchor, TestContext.Current.CancellationToken);

        result.Problem.Should().Be(ConsentVerificationProblem.AnchorMismatch);
        result.FirstBadSequence.Should().Be(6);
    }

    [Fact]
    public async Task PointingTheCurrentStateAtAnOldGrant_RevivesNothing_TheGateReadsTheLog()
    {
        using (await SeedAsync())
        {
        }

        Tamper("UPDATE consent_current SET sequence = 2 WHERE sequence = 5;");
        await using var provider = Provider(out _);

        var decision = await provider.GetRequiredService<IConsentGate>().CheckAsync("bob", ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken);

        decision.Reason.Should().Be(ConsentDecisionReason.Withdrawn);
        decision.Record!.Sequence.Should().Be(5);
    }

    [Fact]
    public async Task MetadataThatNoLongerOpens_IsDenied_AndLoggedAsAnError()
    {
        using (await SeedAsync())
        {
        }

        // One byte of alice's sealed metadata (record 1) flipped: AES-GCM's tag no longer matches.
        Tamper("UPDATE consent_events SET metadata = substr(metadata, 1, 20) || x'ff' || substr(metadata, 22) WHERE sequence = 1;");
        await using var provider = Provider(out var logs);
        var gate = provider.GetRequiredService<IConsentGate>();

        var decision = await gate.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken);
        var untouched = await gate.CheckAsync("dave", ConsentPurposes.GenerativeAiTraining, TestContext.Current.CancellationToken);
        var direct = async () => await provider.GetRequiredService<IConsentStore>().GetHistoryAsync("alice");

        decision.IsAllowed.Should().BeFalse();
        decision.Reason.Should().Be(ConsentDecisionReason.StoreUnavailable);
        untouched.IsAllowed.Should().BeTrue();
        await direct.Should().ThrowAsync<ConsentStoreIntegrityException>();
        logs.Entries.Should().Contain(e => e.Level == LogLevel.Error && e.EventName == "StoreIntegrityViolation");
    }

    private ServiceProvider Provider(out ListLoggerProvider logs)
    {
        logs = new ListLoggerProvider();
        var services = new ServiceCollection();
        var captured = logs;
        services.AddLogging(b => b.AddProvider(captured));
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore(_database.ConnectionString);
        return services.BuildServiceProvider();
    }

    // 1 alice grant (metadata) · 2 bob grant · 3 alice refuses analytics · 4 carol grant · 5 bob withdraws · 6 dave grant
    private async Task<SqliteConsentStore> SeedAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = _database.CreateStore();
        await store.SaveNoticesAsync([ConsentNotice.For(new ConsentPurpose(ConsentPurposes.GenerativeAiTraining, "Generative AI training", "We may use your posts to train models.", "1"))], T0, ct);
        await store.AppendAsync(Grant("alice", new Dictionary<string, string> { ["ip"] = "192.0.2.1" }), ct);
        await store.AppendAsync(Grant("bob"), ct);
        await store.AppendAsync(new NewConsentRecord("alice", ConsentPurposes.Analytics, ConsentStatus.Refused, "1", T0, null, ConsentMethod.SubjectUserInterface), ct);
        await store.AppendAsync(Grant("carol"), ct);
        await store.AppendAsync(new NewConsentRecord("bob", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, "1", T0.AddMinutes(1), null, ConsentMethod.SubjectUserInterface), ct);
        await store.AppendAsync(Grant("dave"), ct);
        (await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: ct)).IsValid.Should().BeTrue();
        return store;
    }

    private static NewConsentRecord Grant(string subject, IReadOnlyDictionary<string, string>? metadata = null) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", T0, null, ConsentMethod.SubjectUserInterface, "settings-page", metadata);

    private void Tamper(string sql)
    {
        using var connection = _database.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText =
            "DROP TRIGGER consent_events_no_update; DROP TRIGGER consent_events_no_delete; DROP TRIGGER consent_notices_no_update; " +
            "DROP TRIGGER consent_current_latest_only_update; DROP TRIGGER consent_current_latest_only_insert; DROP TRIGGER consent_current_no_delete; " +
            sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _database.Dispose();

    private sealed class ListLoggerProvider : ILoggerProvider
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
}
