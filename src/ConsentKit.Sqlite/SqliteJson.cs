using System.Text.Json.Serialization;

namespace ConsentKit.Sqlite;

/// <summary>Source-generated JSON for the few shapes the store writes: no reflection, trimming-safe.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class SqliteJson : JsonSerializerContext;
