using FluentAssertions;

namespace ConsentKit.Tests;

public sealed class SubjectTableTests
{
    [Fact]
    public void SetGetRemove_AcrossGrowth()
    {
        var table = new SubjectTable(sizeLimit: 10_000);
        for (var i = 0; i < 5_000; i++)
        {
            table.Set($"user-{i}", Entry(i));
        }

        table.Count.Should().Be(5_000);
        for (var i = 0; i < 5_000; i++)
        {
            table.TryGet($"user-{i}", out var entry).Should().BeTrue();
            IdOf(entry).Should().Be(i);
        }

        table.Remove("user-42");
        table.TryGet("user-42", out _).Should().BeFalse();
        table.TryGet("user-43", out var after).Should().BeTrue("removal shifts the rest of the run back: no hole in the probe chain");
        IdOf(after).Should().Be(43);
        table.TryGet("nobody", out _).Should().BeFalse();
    }

    [Fact]
    public void Replace_KeepsOneEntryPerKey()
    {
        var table = new SubjectTable(sizeLimit: 100);
        table.Set("alice", Entry(1));
        table.Set("alice", Entry(2));

        table.Count.Should().Be(1);
        table.TryGet("alice", out var entry).Should().BeTrue();
        IdOf(entry).Should().Be(2);
    }

    [Fact]
    public void ConditionalRemove_LeavesANewerFillAlone()
    {
        var table = new SubjectTable(sizeLimit: 100);
        var old = Entry(1);
        table.Set("alice", old);
        table.Set("alice", Entry(2));

        table.Remove("alice", onlyIf: old.Current);

        table.TryGet("alice", out var entry).Should().BeTrue();
        IdOf(entry).Should().Be(2);
    }

    [Fact]
    public void SizeLimit_IsKept_ByEvicting()
    {
        var table = new SubjectTable(sizeLimit: 1_000);
        for (var i = 0; i < 20_000; i++)
        {
            table.Set($"user-{i}", Entry(i));
            table.Count.Should().BeLessThanOrEqualTo(1_000);
        }

        table.TryGet("user-19999", out _).Should().BeTrue("the newest entry is always kept");
    }

    [Theory]
    [InlineData(100_000, 20)]
    [InlineData(300, 20)]
    public void RandomSetsRemovesAndEvictions_KeepEveryEntryReachable_AsAReferenceMapSays(int sizeLimit, int seed)
    {
        // Random keys in a small table: runs form and wrap round the end of the array, the backward-shift delete's hard cases.
        var table = new SubjectTable(sizeLimit);
        var model = new Dictionary<string, int>();
        var random = new Random(seed);
        for (var n = 0; n < 60_000; n++)
        {
            var key = $"k{random.Next(1_000)}";
            if (random.Next(3) == 0)
            {
                table.Remove(key);
                model.Remove(key);
            }
            else
            {
                table.Set(key, Entry(n));
                model[key] = n;
            }
        }

        // Eviction may have dropped entries the model still has, but never one that was written later than
        // what the table returns, and never a key it still counts.
        var found = 0;
        foreach (var (key, id) in model)
        {
            if (table.TryGet(key, out var entry))
            {
                IdOf(entry).Should().Be(id, $"{key} must read back its latest fill");
                found++;
            }
        }

        found.Should().Be(table.Count, "every entry the table counts is reachable from its home slot");
        if (sizeLimit >= 1_000)
        {
            found.Should().Be(model.Count, "nothing is evicted under the size limit");
        }
        else
        {
            table.Count.Should().BeLessThanOrEqualTo(sizeLimit);
        }
    }

    [Fact]
    public void Clear_EmptiesTheTable()
    {
        var table = new SubjectTable(sizeLimit: 100);
        table.Set("alice", Entry(1));

        table.Clear();

        table.TryGet("alice", out _).Should().BeFalse();
        table.Count.Should().Be(0);
    }

    [Fact]
    public async Task ConcurrentReaders_NeverSeeAnotherKeysEntry_WhileWritersChurn()
    {
        var table = new SubjectTable(sizeLimit: 24);
        const int keys = 64;
        var names = Enumerable.Range(0, keys).Select(i => $"subject-{i}").ToArray();
        var mismatches = 0;
        var hits = 0L;
        using var stop = new CancellationTokenSource();
        using var readersStarted = new CountdownEvent(2);

        // Own threads, and the writer starts only once both readers run: a busy thread pool (other test
        // classes run in parallel) must not let the writer finish before a reader has looked.
        var readers = Enumerable.Range(0, 2).Select(r => Task.Factory.StartNew(() =>
        {
            var random = new Random(r);
            readersStarted.Signal();
            while (!stop.IsCancellationRequested)
            {
                var i = random.Next(keys);
                if (table.TryGet(names[i], out var entry))
                {
                    Interlocked.Increment(ref hits);
                    if (IdOf(entry) != i)
                    {
                        Interlocked.Increment(ref mismatches);
                    }
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        var writer = Task.Factory.StartNew(() =>
        {
            readersStarted.Wait(TestContext.Current.CancellationToken);
            var random = new Random(99);
            for (var n = 0; n < 2_000_000; n++)
            {
                var i = random.Next(keys);
                switch (n % 100_000)
                {
                    case 99_999:
                        table.Clear();
                        break;
                    case < 30_000:
                        table.Remove(names[i]);
                        break;
                    default:
                        table.Set(names[i], Entry(i));
                        break;
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await writer;
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        mismatches.Should().Be(0);
        hits.Should().BePositive();
    }

    // Each fill gets its own records array (its identity); the id rides in StaleAtTicks.
    private static SubjectCacheEntry Entry(int id) => new(new ConsentRecord?[1], 0, id);

    private static long IdOf(SubjectCacheEntry entry) => entry.StaleAtTicks;
}
