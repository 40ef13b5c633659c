using FluentAssertions;

namespace ConsentKit.PostgreSql.Tests;

public sealed class ConcurrencyTests(SchemaFixture schema) : IClassFixture<SchemaFixture>
{
    /// <summary>
    /// 16 writers × 10,000 changes, each its own append and transaction, while a follower reads the
    /// feed: nothing lost, sequences unique, the current state equals the last record per pair, and the
    /// feed returns every record exactly once.
    /// </summary>
    [Fact]
    public async Task SixteenWritersTimesTenThousandChanges_LoseNothing_AndTheFeedHasEachOnce()
    {
        const int writers = 16;
        const int perWriter = 10_000;
        var ct = TestContext.Current.CancellationToken;
        await using var store = schema.CreateStore();
        await store.InitializeAsync(ct);
        var head = await store.GetLastSequenceAsync(ct);
        using var done = new CancellationTokenSource();
        var fed = new List<long>();
        var follower = Task.Run(async () =>
        {
            var watermark = head;
            while (true)
            {
                var finished = done.IsCancellationRequested;
                var page = await store.GetChangesAsync(watermark, 1000, ct);
                foreach (var record in page)
                {
                    fed.Add(record.Sequence);
                    watermark = record.Sequence;
                }

                if (page.Count == 0)
                {
                    if (finished)
                    {
                        return;
                    }

                    await Task.Delay(1, ct);
                }
            }
        }, ct);

        var acknowledged = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var sequences = new long[perWriter];
            for (var i = 0; i < perWriter; i++)
            {
                // 50 subjects per writer, two purposes each: every pair sees about 100 changes.
                var status = (ConsentStatus)(i % 3 + 1);
                var record = new NewConsentRecord(
                    $"w{w}-s{i % 50}", i / 50 % 2 == 0 ? ConsentPurposes.GenerativeAiTraining : ConsentPurposes.Analytics, status, "1",
                    DateTimeOffset.UnixEpoch.AddSeconds(i), null, status == ConsentStatus.Granted ? ConsentMethod.SubjectApiCall : ConsentMethod.Operator);
                sequences[i] = (await store.AppendAsync(record, ct)).Sequence;
            }

            return sequences;
        }, ct)));
        await done.CancelAsync();
        await follower;

        var all = acknowledged.SelectMany(s => s).ToList();
        all.Should().HaveCount(writers * perWriter).And.OnlyHaveUniqueItems();
        fed.Should().Equal(all.Order(), "the feed returns every record exactly once, in sequence order");
        (await TestServer.ScalarAsync<long>($"SELECT count(*) FROM {schema.Schema}.consent_events WHERE sequence > {head};", ct)).Should().Be(writers * perWriter);
        (await TestServer.ScalarAsync<long>(
            $"SELECT count(*) FROM {schema.Schema}.consent_current c " +
            $"WHERE c.sequence <> (SELECT max(e.sequence) FROM {schema.Schema}.consent_events e WHERE e.subject_key = c.subject_key AND e.purpose_id = c.purpose_id);",
            ct)).Should().Be(0, "the current state is the last record of every pair");
        (await TestServer.ScalarAsync<long>($"SELECT count(*) FROM {schema.Schema}.consent_current c JOIN {schema.Schema}.consent_subjects r ON r.subject_key = c.subject_key WHERE r.subject_id LIKE 'w%-s%';", ct)).Should().Be(writers * 50 * 2);
    }
}
