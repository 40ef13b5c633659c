using System.Text;
using FluentAssertions;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Sqlite.Tests;

public sealed class ErasureTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task AfterErasure_NeitherTheIdNorTheMetadataIsAnywhereInTheFile_AndTheHistoryStillVerifies()
    {
        var ct = TestContext.Current.CancellationToken;
        const string Subject = "zelda.erasure-check@example.org";
        const string Evidence = "198.51.100.99-evidence";
        using (var store = _database.CreateStore())
        {
            await store.AppendAsync(new NewConsentRecord(Subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", T0, null, ConsentMethod.SubjectUserInterface, "settings-page", new Dictionary<string, string> { ["ip"] = Evidence }), ct);
            await store.AppendAsync(new NewConsentRecord("someone-else", ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, "1", T0, null, ConsentMethod.SubjectUserInterface), ct);
            await store.StartAsync(new NewDataUse { Id = "set-1", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "set", StartedAt = T0 }, ct);
            await store.AddSubjectsAsync("set-1", [new DataUseSubject { SubjectId = Subject, ConsentSequence = 1 }], ct);
            FileText().Should().Contain(Subject, "the id is stored until erasure");

            (await store.EraseSubjectAsync(Subject, T0.AddDays(1), ct)).Should().ContainSingle();

            (await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: ct)).IsValid.Should().BeTrue();
            (await store.GetAsync("set-1", ct))!.SubjectCount.Should().Be(1);
        }

        SqliteConnection.ClearAllPools();
        var text = FileText();
        text.Should().NotContain(Subject);
        text.Should().NotContain(Evidence);
    }

    // Every byte of the database and its write-ahead log, as Latin-1 text (ASCII ids survive as they are).
    private string FileText() =>
        string.Concat(new[] { _database.Path, _database.Path + "-wal" }
            .Where(File.Exists)
            .Select(path =>
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return Encoding.Latin1.GetString(copy.ToArray());
            }));

    public void Dispose() => _database.Dispose();
}
