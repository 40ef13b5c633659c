using FluentAssertions;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>
/// The bulk path (binary COPY, from 5,000 records per call): the same chain, registry, proof log and current state as
/// the ordinary path, with subjects old and new, one pair written twice in the call, and a subject the ledger registered.
/// </summary>
public sealed class BulkAppendTests(SchemaFixture schema) : IClassFixture<SchemaFixture>
{
    [Fact]
    public async Task ABulkAppend_IsChainedLikeAnyOther_AndTheLatestRecordOfEachPairIsCurrent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = schema.CreateStore();
        await store.InitializeAsync(ct);
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        NewConsentRecord Grant(string subject, int minutes) =>
            new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", at.AddMinutes(minutes), null, ConsentMethod.SubjectUserInterface, "import", new Dictionary<string, string> { ["origin"] = subject });
        var before = await store.AppendAsync(Grant("bulk-old", 0), ct);
        await store.StartAsync(new NewDataUse { Id = "bulk-use", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "d", StartedAt = at }, ct);
        await store.AddSubjectsAsync("bulk-use", [new DataUseSubject { SubjectId = "bulk-ledger", ConsentSequence = before.Sequence }], ct);

        var records = new List<NewConsentRecord> { Grant("bulk-old", 1), Grant("bulk-ledger", 1) };
        records.AddRange(Enumerable.Range(0, PostgreSqlBulkAppend.Threshold).Select(i => Grant($"bulk-{i}", 2)));
        records.Add(new NewConsentRecord("bulk-7", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, "1", at.AddMinutes(3), null, ConsentMethod.Import, "import"));

        var stored = await store.AppendManyAsync(records, ct);

        stored.Select(r => r.Sequence).Should().Equal(Enumerable.Range(1, records.Count).Select(i => before.Sequence + i), "sequences follow the head, dense");
        (await store.GetCurrentAsync("bulk-7", ct)).Single().Status.Should().Be(ConsentStatus.Withdrawn, "the later record of the pair in the same call is current");
        (await store.GetCurrentAsync("bulk-old", ct)).Single().Sequence.Should().Be(before.Sequence + 1);
        (await store.GetCurrentAsync("bulk-42", ct)).Single().Metadata.Should().Contain("origin", "bulk-42", "metadata is sealed under the subject's own secret");
        (await store.GetHistoryAsync("bulk-ledger", ct)).Should().ContainSingle("the subject the ledger registered keeps its registration");
        (await TestServer.ScalarAsync<long>(
            $"SELECT count(*) FROM {schema.Schema}.consent_current c JOIN {schema.Schema}.consent_events e ON e.sequence = c.sequence WHERE e.subject_key IN " +
            $"(SELECT subject_key FROM {schema.Schema}.consent_subjects WHERE subject_id LIKE 'bulk%');", ct)).Should().Be(PostgreSqlBulkAppend.Threshold + 2);
        var verified = await new ConsentHistoryVerifier(store, store).VerifyAsync(cancellationToken: ct);
        verified.IsValid.Should().BeTrue(verified.Message);
    }
}
