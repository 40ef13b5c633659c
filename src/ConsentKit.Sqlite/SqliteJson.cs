using System.Text.Json.Serialization;

namespace ConsentKit.Sqlite;

/// <summary>Source-generated JSON for the few shapes the store writes: no reflection, trimming-safe.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(LedgerRow[]))]
internal sealed partial class SqliteJson : JsonSerializerContext;

/// <summary>One data-use subject as it travels to SQLite in a JSON array: the id (<c>s</c>) and the grant's sequence (<c>q</c>).</summary>
internal sealed record LedgerRow(
    [property: JsonPropertyName("s")] string SubjectId,
    [property: JsonPropertyName("q")] long ConsentSequence);
