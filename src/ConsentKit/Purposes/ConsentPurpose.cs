namespace ConsentKit;

/// <summary>
/// What a person's data may be used for, and the notice the person is shown when asked.
/// </summary>
/// <remarks>
/// A purpose is never granted by default: it only becomes allowed for a subject after that
/// subject explicitly grants it under the current <see cref="NoticeVersion"/>.
/// Ids are hierarchical: <c>ai-training.generative</c> is a child of <c>ai-training</c>.
/// </remarks>
public sealed class ConsentPurpose
{
    /// <summary>Creates an empty purpose, for configuration binding. Set every property before registering it.</summary>
    public ConsentPurpose()
    {
    }

    /// <summary>Creates a purpose.</summary>
    /// <param name="id">The purpose id, e.g. <c>ai-training.generative</c>.</param>
    /// <param name="displayName">The short name people see next to the switch.</param>
    /// <param name="description">The notice text people agree to.</param>
    /// <param name="noticeVersion">The version of the notice text; change it when the text changes materially.</param>
    public ConsentPurpose(string id, string displayName, string description, string noticeVersion)
    {
        Id = id;
        DisplayName = displayName;
        Description = description;
        NoticeVersion = noticeVersion;
    }

    /// <summary>
    /// The purpose id: lowercase <c>[a-z0-9]</c> words joined by <c>-</c>, with <c>.</c> between levels;
    /// at most <see cref="ConsentPurposeId.MaxLength"/> characters.
    /// </summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>The short name people see, e.g. "Data for Generative AI improvement".</summary>
    public string DisplayName { get; init; } = string.Empty;

    /// <summary>The notice text people see and agree to.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>
    /// The version of the notice. A grant is valid only under the current version: changing it asks
    /// everybody to agree again.
    /// </summary>
    public string NoticeVersion { get; init; } = string.Empty;

    /// <summary>How long a grant stays valid; <see langword="null"/> for no expiry.</summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>
    /// Whether a grant of the parent purpose also covers this purpose when the subject made no choice
    /// for this purpose itself. Default <see langword="false"/>: each purpose is asked for on its own.
    /// </summary>
    public bool CoveredByParent { get; init; }

    /// <summary>The id of the parent purpose, or <see langword="null"/> for a top-level purpose.</summary>
    public string? ParentId => ConsentPurposeId.GetParent(Id);

    /// <inheritdoc />
    public override string ToString() => $"{Id} (notice {NoticeVersion})";
}
