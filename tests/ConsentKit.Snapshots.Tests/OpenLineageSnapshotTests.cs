using ConsentKit.OpenLineage;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ConsentKit.Snapshots.Tests;

/// <summary>A snapshot's data use in OpenLineage: the watermark and content hash reach its events, even when another process imports.</summary>
public sealed class OpenLineageSnapshotTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("consentkit-snapshot-lineage-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ASnapshotsStartAndTheImportsComplete_CarryItsWatermarkAndContentHash_AcrossProcesses()
    {
        var ct = TestContext.Current.CancellationToken;
        var events = Path.Combine(_directory, "lineage.jsonl");
        var snapshot = Path.Combine(_directory, "allowed.parquet");
        ConsentSnapshotInfo info;
        using (var writer = Provider(events))
        {
            var recorder = writer.GetRequiredService<IConsentRecorder>();
            foreach (var member in new[] { "ada", "bob" })
            {
                await recorder.GrantAsync(member, ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface("1", "settings-page"), ct);
            }

            await using var file = File.Create(snapshot);
            info = await writer.GetRequiredService<IConsentSnapshots>().CreateAsync(
                new ConsentSnapshotRequest { PurposeId = ConsentPurposes.GenerativeAiTraining, DataUseId = "genai-set", Description = "set" }, file, ct);
        }

        // The import runs in another process: only the file says which snapshot it was.
        using (var importer = Provider(events))
        {
            await using var file = File.OpenRead(snapshot);
            await importer.GetRequiredService<IConsentSnapshots>().ImportUsedSubjectsAsync(file, ["ada"], cancellationToken: ct);
        }

        var emitted = (await File.ReadAllLinesAsync(events, ct)).Select(OpenLineageRunEvent.Parse).ToList();
        emitted.Select(e => e.EventType).Should().Equal(OpenLineageEventType.Start, OpenLineageEventType.Complete);
        emitted.Select(e => e.RunId).Distinct().Should().ContainSingle("one run, whichever process reported it");
        emitted.Should().AllSatisfy(e =>
        {
            e.ConsentKit.SnapshotWatermark.Should().Be(info.Watermark);
            e.ConsentKit.SnapshotContentSha256.Should().Be(info.ContentSha256);
        });
        emitted[1].ConsentKit.SubjectsIncluded.Should().Be(1);
    }

    private ServiceProvider Provider(string events)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero)));
        services.AddConsentKit().AddStandardPurposes().UseSqliteStore($"Data Source={Path.Combine(_directory, "consent.db")}")
            .AddSnapshots().AddOpenLineage(o => o.FilePath = events);
        return services.BuildServiceProvider();
    }
}
