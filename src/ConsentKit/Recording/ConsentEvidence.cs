namespace ConsentKit;

/// <summary>How, where and under which notice a consent choice was expressed.</summary>
public sealed record ConsentEvidence
{
    /// <summary>How it was expressed. Only the subject's own explicit act can grant.</summary>
    public required ConsentMethod Method { get; init; }

    /// <summary>
    /// The notice version the subject was shown. Required for a grant, and it must be the purpose's current
    /// version. For a refusal or withdrawal, <see langword="null"/> records the current version.
    /// </summary>
    public string? NoticeVersion { get; init; }

    /// <summary>A short label of where it was expressed, e.g. <c>settings-page</c> (at most 64 characters).</summary>
    public string? Source { get; init; }

    /// <summary>Small optional evidence (at most 16 entries).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The subject's own act in a user interface, under the notice version they saw.</summary>
    /// <param name="noticeVersion">The notice version shown.</param>
    /// <param name="source">Where, e.g. <c>settings-page</c>.</param>
    public static ConsentEvidence FromUserInterface(string? noticeVersion, string? source = null) =>
        new() { Method = ConsentMethod.SubjectUserInterface, NoticeVersion = noticeVersion, Source = source };

    /// <summary>The subject's own authenticated API call, under the notice version they saw.</summary>
    /// <param name="noticeVersion">The notice version shown.</param>
    /// <param name="source">Which API or client.</param>
    public static ConsentEvidence FromApiCall(string? noticeVersion, string? source = null) =>
        new() { Method = ConsentMethod.SubjectApiCall, NoticeVersion = noticeVersion, Source = source };
}
