using System.Globalization;
using System.Text.Json;

namespace ConsentKit.Samples.WebApp.Demo;

/// <summary>Builds generative-AI training sets from the posts of members who opted in, and reads them back.</summary>
public sealed class TrainingSets(PostRepository posts, ConsentFilter filter, TimeProvider time, string directory)
{
    public async Task<ConsentFilterReport> BuildAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var now = time.GetUtcNow();
        var id = $"genai-set-{now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..4]}";
        var run = posts.StreamAsync(cancellationToken: cancellationToken).WhereConsented(
            filter, post => post.AuthorId, ConsentPurposes.GenerativeAiTraining,
            new ConsentFilterOptions { DataUseId = id, DataUseDescription = $"Generative AI training set built {now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC" });
        await using (var file = new StreamWriter(PathOf(id)))
        {
            await foreach (var post in run.WithCancellation(cancellationToken))
            {
                await file.WriteLineAsync(JsonSerializer.Serialize(new { post.Id, post.AuthorId, post.Text }, JsonSerializerOptions.Web));
            }
        }

        return run.Report;
    }

    /// <summary>The authors whose posts went into a set.</summary>
    public IReadOnlyList<string> AuthorsIn(string dataUseId)
    {
        var path = PathOf(dataUseId);
        return !File.Exists(path)
            ? []
            : [.. File.ReadLines(path).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("authorId").GetString()!).Distinct()];
    }

    private string PathOf(string id) => Path.Combine(directory, $"{id}.jsonl");
}
