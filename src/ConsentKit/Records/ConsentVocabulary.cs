using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConsentKit;

/// <summary>
/// How statuses, methods and decision reasons are written on every surface — the consent API, problem
/// details, downloads, the databases' readable views: lower-case kebab case (<c>subject-api-call</c>,
/// <c>notice-outdated</c>), one name per value. (Metric tags follow OpenTelemetry's snake case instead.)
/// </summary>
public static class ConsentVocabulary
{
    /// <summary>Serializer options that write ConsentKit's enums by these names (web defaults otherwise).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateOptions();

    /// <summary>The wire name of a status: <c>granted</c>, <c>refused</c>, <c>withdrawn</c>.</summary>
    /// <param name="status">The status.</param>
    public static string NameOf(ConsentStatus status) => Kebab(status.ToString());

    /// <summary>The wire name of a method, e.g. <c>subject-user-interface</c>, <c>privacy-signal</c>.</summary>
    /// <param name="method">The method.</param>
    public static string NameOf(ConsentMethod method) => Kebab(method.ToString());

    /// <summary>The wire name of a decision reason, e.g. <c>no-record</c>, <c>store-unavailable</c>.</summary>
    /// <param name="reason">The reason.</param>
    public static string NameOf(ConsentDecisionReason reason) => Kebab(reason.ToString());

    private static string Kebab(string name) => JsonNamingPolicy.KebabCaseLower.ConvertName(name);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        options.TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver();
        options.MakeReadOnly();
        return options;
    }
}
