using ConsentKit.ModelBased;
using ConsentKit.Snapshots;
using DuckDB.NET.Data;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Snapshots.Tests;

/// <summary>
/// The model-based checks with two more paths: a Parquet and a CSV snapshot, written after every step and read
/// back by a real DuckDB, must allow exactly whom the reference model allows.
/// </summary>
public sealed class ModelBasedSnapshotTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "consentkit-model-snapshots", Guid.NewGuid().ToString("N"));
    private int _files;

    public ModelBasedSnapshotTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public Task SnapshotFiles_ReadBackByDuckDb_AgreeWithTheReferenceModel() =>
        ModelChecks.RunAsync(
            () => Task.FromResult<(IConsentStore, Func<Task>)>((new InMemoryConsentStore(), () => Task.CompletedTask)),
            iterations: 30,
            extra: new ModelExtraPaths(
                (builder, store) => builder.UseDataUseLedger(_ => (IDataUseLedger)store).AddSnapshots(),
                [
                    ("a Parquet snapshot read by DuckDB", (services, purpose) => ReadBackAsync(services, purpose, ConsentSnapshotFormat.Parquet)),
                    ("a CSV snapshot read by DuckDB", (services, purpose) => ReadBackAsync(services, purpose, ConsentSnapshotFormat.Csv)),
                ]));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<IReadOnlyCollection<string>> ReadBackAsync(IServiceProvider services, string purposeId, ConsentSnapshotFormat format)
    {
        var path = Path.Combine(_directory, $"{++_files}.{(format == ConsentSnapshotFormat.Csv ? "csv" : "parquet")}");
        await using (var file = File.Create(path))
        {
            await services.GetRequiredService<IConsentSnapshots>().CreateAsync(
                new ConsentSnapshotRequest { PurposeId = purposeId, DataUseId = $"model-{_files}", Description = "model check", Format = format }, file);
        }

        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        using var command = duck.CreateCommand();
        command.CommandText = format == ConsentSnapshotFormat.Csv
            ? $"SELECT subject_id FROM read_csv('{path}', auto_detect = false, comment = '#', delim = ',', quote = '\"', escape = '\"', header = true, columns = {{'subject_id': 'VARCHAR', 'consent_sequence': 'BIGINT'}})"
            : $"SELECT subject_id FROM read_parquet('{path}')";
        using var reader = command.ExecuteReader();
        var subjects = new List<string>();
        while (reader.Read())
        {
            subjects.Add(reader.GetString(0));
        }

        File.Delete(path);
        return subjects;
    }
}
