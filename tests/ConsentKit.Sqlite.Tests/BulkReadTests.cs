using FluentAssertions;

namespace ConsentKit.Sqlite.Tests;

public sealed class BulkReadTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task BulkRead_ReturnsTheCurrentState_ForAwkwardIds_AcrossChunks()
    {
        var ids = Enumerable.Range(0, 1_200)
            .Select(i => i % 3 == 0 ? $"o'brien \"{i}\"; --" : i % 3 == 1 ? $"ü☃ {i}" : $"[\"{i}\"]")
            .ToArray();
        using var store = new SqliteConsentStore(new SqliteConsentStoreOptions { ConnectionString = _database.ConnectionString, BulkReadChunkSize = 500 });
        var appended = await store.AppendManyAsync(
            ids.Where((_, i) => i % 2 == 0).Select(id => new NewConsentRecord(
                id, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", DateTimeOffset.UnixEpoch, null, ConsentMethod.SubjectUserInterface)).ToArray(),
            TestContext.Current.CancellationToken);

        var current = await store.GetCurrentManyAsync([.. ids, .. ids.Take(10), "nobody"], TestContext.Current.CancellationToken);

        current.Select(r => r.Sequence).Should().BeEquivalentTo(appended.Select(r => r.Sequence));
        current.Select(r => r.SubjectId).Should().BeEquivalentTo(appended.Select(r => r.SubjectId));
    }

    public void Dispose() => _database.Dispose();
}
