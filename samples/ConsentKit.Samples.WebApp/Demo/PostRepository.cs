using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace ConsentKit.Samples.WebApp.Demo;

/// <summary>A member's post.</summary>
public sealed record Post(long Id, string AuthorId, string Text, DateTimeOffset CreatedAt);

/// <summary>The demo's posts, in their own table of the same SQLite file.</summary>
public sealed class PostRepository(string databasePath)
{
    private readonly string _connectionString = $"Data Source={databasePath}";

    public async Task EnsureSeededAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE IF NOT EXISTS demo_posts (id INTEGER PRIMARY KEY, author_id TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL); SELECT COUNT(*) FROM demo_posts;";
        if ((long)(await command.ExecuteScalarAsync(cancellationToken))! > 0)
        {
            return;
        }

        string[] topics = ["what I learned shipping our first release", "mentoring new engineers", "why code review matters", "a talk I gave this week", "the best bug I ever found"];
        await using var transaction = connection.BeginTransaction();
        var at = new DateTimeOffset(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);
        var members = DemoPeople.Members.ToList();
        for (var round = 0; round < 3; round++)
        {
            foreach (var person in members)
            {
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO demo_posts (author_id, text, created_at) VALUES ($author, $text, $at);";
                insert.Parameters.AddWithValue("$author", person.Id);
                insert.Parameters.AddWithValue("$text", $"{person.Name.Split(' ')[0]} on {topics[(round + person.Id.Length) % topics.Length]}.");
                insert.Parameters.AddWithValue("$at", at.UtcTicks);
                await insert.ExecuteNonQueryAsync(cancellationToken);
                at = at.AddHours(7);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async IAsyncEnumerable<Post> StreamAsync(string? authorId = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, author_id, text, created_at FROM demo_posts WHERE $author IS NULL OR author_id = $author ORDER BY id DESC;";
        command.Parameters.AddWithValue("$author", (object?)authorId ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new Post(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero));
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
