using System.Runtime.CompilerServices;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

/// <summary>Measurements of the managed heap: nothing else may allocate meanwhile, so no other test runs alongside.</summary>
[CollectionDefinition(nameof(HeapMeasurements), DisableParallelization = true)]
public sealed class HeapMeasurements;

[Collection(nameof(HeapMeasurements))]
public sealed class ConsentFilterMemoryTests
{
    private sealed record Post(int Id, string AuthorId);

    [Fact]
    public async Task Memory_StaysFlat_OverALargeStream()
    {
        using var kit = new ConsentKitFixture();
        await kit.GrantAsync("author-7");
        const int items = 2_000_000;
        var samples = new List<long>();
        long kept = 0;

        var filter = kit.Provider.GetRequiredService<ConsentFilter>();
        await foreach (var post in Posts(items, 1_000).WhereConsented(filter, p => p.AuthorId, ConsentPurposes.GenerativeAiTraining))
        {
            if (++kept % 500 == 0)
            {
                samples.Add(GC.GetTotalMemory(forceFullCollection: true));
            }
        }

        kept.Should().Be(items / 1_000);
        samples.Should().HaveCountGreaterThan(3);
        (samples.Max() - samples.Min()).Should().BeLessThan(8 * 1024 * 1024, "the filter holds one batch and one decision per subject, never the stream");
    }

    private static async IAsyncEnumerable<Post> Posts(int count, int authors, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new Post(i, $"author-{i % authors}");
        }

        await Task.CompletedTask;
    }
}
