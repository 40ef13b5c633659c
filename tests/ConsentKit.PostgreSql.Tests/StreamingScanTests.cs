using FluentAssertions;

namespace ConsentKit.PostgreSql.Tests;

/// <summary>The streaming scan: the records ScanCurrentAsync returns, grouped by subject, at a watermark that later appends do not move.</summary>
public sealed class StreamingScanTests(SchemaFixture schema) : IClassFixture<SchemaFixture>
{
    [Fact]
    public async Task TheStream_HoldsWhatTheScanHolds_GroupedBySubject_AtItsWatermark()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = schema.CreateStore();
        await store.InitializeAsync(ct);
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        var records = new List<NewConsentRecord>();
        for (var i = 0; i < 300; i++)
        {
            records.Add(new NewConsentRecord($"stream-{i}", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", at, null, ConsentMethod.SubjectUserInterface));
            if (i % 3 == 0)
            {
                records.Add(new NewConsentRecord($"stream-{i}", ConsentPurposes.AiTraining, ConsentStatus.Refused, "1", at.AddMinutes(1), null, ConsentMethod.Operator));
            }

            if (i % 5 == 0)
            {
                records.Add(new NewConsentRecord($"stream-{i}", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, "1", at.AddMinutes(2), null, ConsentMethod.Operator));
            }
        }

        await store.AppendManyAsync(records, ct);
        await store.EraseSubjectAsync("stream-7", at.AddMinutes(3), ct);
        string[] purposes = [ConsentPurposes.GenerativeAiTraining, ConsentPurposes.AiTraining];
        var scan = await store.ScanCurrentAsync(purposes, ct);

        var streamed = new List<ConsentRecord>();
        await using (var stream = await store.OpenCurrentScanAsync(purposes, ct))
        {
            // Written after the stream opened: not in it.
            await store.AppendAsync(new NewConsentRecord("stream-late", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", at, null, ConsentMethod.SubjectUserInterface), ct);
            stream.Watermark.Should().Be(scan.Watermark);
            await foreach (var record in stream.Records.WithCancellation(ct))
            {
                streamed.Add(record);
            }
        }

        streamed.Select(r => r.Sequence).Should().BeEquivalentTo(scan.Records.Select(r => r.Sequence));
        streamed.Should().NotContain(r => r.SubjectId == "stream-late" || r.SubjectId == "stream-7");
        var groups = streamed.Select(r => r.SubjectId).Aggregate(new List<string>(), (runs, id) =>
        {
            if (runs.Count == 0 || runs[^1] != id)
            {
                runs.Add(id);
            }

            return runs;
        });
        groups.Should().OnlyHaveUniqueItems("each subject's records come together");
        await store.Awaiting(s => s.OpenCurrentScanAsync([], ct).AsTask()).Should().ThrowAsync<ArgumentException>();
    }
}
