using System.Text.Json.Serialization;

namespace ConsentKit.PostgreSql;

/// <summary>Source-generated JSON for record metadata (no reflection, trimming-safe).</summary>
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class PostgreSqlJson : JsonSerializerContext;
