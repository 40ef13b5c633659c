using FluentAssertions;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>
/// A superuser switches the triggers off and changes the tables directly: the verifier names the first
/// bad sequence, and the store refuses a current-state row the events do not back. A schema per test.
/// </summary>
public sealed class TamperTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("UPDATE {s}.consent_events SET status = 1, method = 1 WHERE sequence = 3", ConsentVerificationProblem.ContentChanged, 3)]
    [InlineData("DELETE FROM {s}.consent_events WHERE sequence = 2", ConsentVerificationProblem.RecordMissing, 2)]
    [InlineData("UPDATE {s}.consent_current SET sequence = 1 WHERE sequence = 3", ConsentVerificationProblem.CurrentStateDisagrees, 1)]
    public async Task ChangingTheTablesDirectly_IsFound_AtTheExactSequence(string sql, ConsentVerificationProblem problem, long sequence)
    {
        var ct = TestContext.Current.CancellationToken;
        var schema = TestServer.NewSchemaName();
        try
        {
            await using var store = await SeedAsync(schema, ct);
            await TestServer.ExecuteAsync(
                $"ALTER TABLE {schema}.consent_events DISABLE TRIGGER ALL; ALTER TABLE {schema}.consent_current DISABLE TRIGGER ALL; " +
                sql.Replace("{s}", schema, StringComparison.Ordinal) + ";",
                ct);

            var result = await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: ct);

            result.Problem.Should().Be(problem, result.Message);
            result.FirstBadSequence.Should().Be(sequence, result.Message);
            if (problem == ConsentVerificationProblem.CurrentStateDisagrees)
            {
                // The current state is read from the log, not from the tampered pointer: nothing revived.
                (await store.GetCurrentAsync("alice", ct)).Should().ContainSingle().Which.Status.Should().Be(ConsentStatus.Withdrawn);
            }
        }
        finally
        {
            await TestServer.ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE;");
        }
    }

    // 1 alice grant · 2 bob grant · 3 alice withdraws
    private static async Task<PostgreSqlConsentStore> SeedAsync(string schema, CancellationToken ct)
    {
        var store = new PostgreSqlConsentStore(new PostgreSqlConsentStoreOptions { ConnectionString = TestServer.ConnectionString, SchemaName = schema });
        await store.AppendAsync(new NewConsentRecord("alice", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", T0, null, ConsentMethod.SubjectUserInterface), ct);
        await store.AppendAsync(new NewConsentRecord("bob", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", T0, null, ConsentMethod.SubjectUserInterface), ct);
        await store.AppendAsync(new NewConsentRecord("alice", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, "1", T0, null, ConsentMethod.SubjectUserInterface), ct);
        (await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: ct)).IsValid.Should().BeTrue();
        return store;
    }
}
