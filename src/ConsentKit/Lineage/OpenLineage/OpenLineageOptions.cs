namespace ConsentKit.OpenLineage;

/// <summary>
/// Where ConsentKit sends OpenLineage run events for data uses and artifact builds. Off unless
/// <c>AddOpenLineage</c> is called; then exactly one of <see cref="FilePath"/> and <see cref="Endpoint"/> is set
/// (or a transport registered with <c>UseOpenLineageTransport</c>). Checked at start.
/// </summary>
public sealed class OpenLineageOptions
{
    /// <summary>The namespace of ConsentKit's jobs and datasets; default <c>consentkit</c>.</summary>
    public string Namespace { get; set; } = "consentkit";

    /// <summary>The events' <c>producer</c> (an absolute URI); default ConsentKit's repository.</summary>
    public Uri Producer { get; set; } = new("https://github.com/consentkit/consentkit");

    /// <summary>Appends events to this JSON Lines file (its directory must exist).</summary>
    public string? FilePath { get; set; }

    /// <summary>Posts events to this http(s) URL, e.g. Marquez's <c>http://localhost:5000/api/v1/lineage</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Sent to <see cref="Endpoint"/> as <c>Authorization: Bearer</c>, when set.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long one HTTP delivery may take; default 10 seconds, at most 5 minutes.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
