namespace ConsentKit;

/// <summary>How, where and under which notice a consent choice was expressed.</summary>
/// <param name="Method">How it was expressed. Only the subject's own explicit act can grant.</param>
/// <param name="NoticeVersion">
/// The notice version the subject was shown. Required for a grant, and it must be the purpose's current
/// version. For a refusal or withdrawal, <see langword="null"/> records the current version.
/// </param>
/// <param name="Source">A short label of where it was expressed, e.g. <c>settings-page</c> (at most 64 characters).</param>
/// <param name="Metadata">Small optional evidence (at most 16 entries).</param>
public sealed record ConsentEvidence(
    ConsentMethod Method,
    string? NoticeVersion = null,
    string? Source = null,
    IReadOnlyDictionary<string, string>? Metadata = null)
{
    /// <summary>The subject's own act in a user interface, under the notice version they saw.</summary>
    /// <param name="noticeVersion">The notice version shown.</param>
    /// <param name="source">Where, e.g. <c>settings-page</c>.</param>
    public static ConsentEvidence FromUserInterface(string? noticeVersion, string? source = null) =>
        new(ConsentMethod.SubjectUserInterface, noticeVersion, source);

    /// <summary>The subject's own authenticated API call, under the notice version they saw.</summary>
    /// <param name="noticeVersion">The notice version shown.</param>
    /// <param name="source">Which API or client.</param>
    public static ConsentEvidence FromApiCall(string? noticeVersion, string? source = null) =>
        new(ConsentMethod.SubjectApiCall, noticeVersion, source);
}
