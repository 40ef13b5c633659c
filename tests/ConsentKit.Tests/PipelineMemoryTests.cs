using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

/// <summary>
/// What a run holds: from a snapshot, no items (whatever the batch size); by id, at most a batch of them.
/// Live memory is sampled inside the source, after a full collection, while the run is going.
/// </summary>
[Collection(nameof(PipelineMemoryTests))]
[CollectionDefinition(nameof(PipelineMemoryTests), DisableParallelization = true)]
public sealed class PipelineMemoryTests
{
    private const int Items = 1_200;
    private const int Authors = 40;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Document(string Author, byte[] Body);

    [Theory]
    [InlineData(1_024, 16)]
    [InlineData(1_024, 65_536)]
    [InlineData(100 * 1_024, 16)]
    [InlineData(100 * 1_024, 65_536)]
    public async Task ARunFromASnapshot_HoldsNoItems_WhateverTheBatchSize(int itemBytes, int batchSize)
    {
        using var kit = await KitWithHalfOptedInAsync();
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var probe = new LiveMemoryProbe(every: 100);

        var kept = 0;
        await foreach (var _ in filter.Filter(Documents(itemBytes, probe), d => d.Author, ConsentPurposes.GenerativeAiTraining, new() { Lookup = ConsentFilterLookup.Snapshot, BatchSize = batchSize }).WithCancellation(Ct))
        {
            kept++;
        }

        kept.Should().Be(Items / 2);

        // A run that held a batch would keep hundreds of items (over 100 MB at 100 KB); one held item is noise.
        probe.PeakAboveBaseline.Should().BeLessThan(20 * itemBytes + 4_000_000, $"a snapshot run holds no items (peak {probe.PeakAboveBaseline:N0} B above the start)");
    }

    [Fact]
    public async Task ARunById_HoldsAtMostABatchOfItems()
    {
        const int itemBytes = 100 * 1_024;
        const int batchSize = 64;
        using var kit = await KitWithHalfOptedInAsync();
        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        var probe = new LiveMemoryProbe(every: 10);

        var kept = await filter.Filter(Documents(itemBytes, probe), d => d.Author, ConsentPurposes.GenerativeAiTraining, new() { Lookup = ConsentFilterLookup.BySubject, BatchSize = batchSize })
            .CountAsync(Ct);

        kept.Should().Be(Items / 2);
        probe.PeakAboveBaseline.Should().BeLessThan((2 * batchSize * itemBytes) + 4_000_000, $"by id a run holds a batch of {batchSize} items (peak {probe.PeakAboveBaseline:N0} B)");
        probe.PeakAboveBaseline.Should().BeGreaterThan(batchSize / 4 * itemBytes, "the probe does see the batch a run by id holds");
    }

    private static async Task<ConsentKitFixture> KitWithHalfOptedInAsync()
    {
        var kit = new ConsentKitFixture();
        for (var i = 0; i < Authors; i += 2)
        {
            await kit.GrantAsync($"author-{i}");
        }

        return kit;
    }

    private static IEnumerable<Document> Documents(int itemBytes, LiveMemoryProbe probe)
    {
        probe.Start();
        for (var i = 0; i < Items; i++)
        {
            probe.Sample(i);
            yield return new Document($"author-{i % Authors}", new byte[itemBytes]);
        }
    }

    private sealed class LiveMemoryProbe(int every)
    {
        private long _baseline;

        public long PeakAboveBaseline { get; private set; }

        public void Start() => _baseline = GC.GetTotalMemory(forceFullCollection: true);

        public void Sample(int index)
        {
            if (index % every == every - 1)
            {
                PeakAboveBaseline = Math.Max(PeakAboveBaseline, GC.GetTotalMemory(forceFullCollection: true) - _baseline);
            }
        }
    }
}
