namespace ConsentKit;

/// <summary>Ids and ready-made definitions of the purposes most apps ask for.</summary>
/// <remarks>
/// The definitions carry a plain default notice text at version <c>1</c>. Apps that show their own
/// text register their own <see cref="ConsentPurpose"/> with the same id instead.
/// </remarks>
public static class ConsentPurposes
{
    /// <summary><c>ai-training</c>: training AI and machine-learning models on the person's data.</summary>
    public const string AiTraining = "ai-training";

    /// <summary><c>ai-training.generative</c>: training content-creation (generative) AI models on the person's data.</summary>
    public const string GenerativeAiTraining = "ai-training.generative";

    /// <summary><c>personalization</c>: tailoring what the person sees to them.</summary>
    public const string Personalization = "personalization";

    /// <summary><c>analytics</c>: measuring how the service is used.</summary>
    public const string Analytics = "analytics";

    /// <summary><c>marketing</c>: sending the person marketing messages.</summary>
    public const string Marketing = "marketing";

    /// <summary><c>third-party-sharing</c>: sharing the person's data with other companies.</summary>
    public const string ThirdPartySharing = "third-party-sharing";

    /// <summary>The standard purposes with their default notice text, parents before children.</summary>
    public static IReadOnlyList<ConsentPurpose> Standard { get; } =
    [
        new(AiTraining, "Data for AI training", "Use my profile and the content I post to train AI and machine-learning models.", "1"),
        new(GenerativeAiTraining, "Data for Generative AI improvement", "Use my data for training content-creation AI models.", "1"),
        new(Personalization, "Personalization", "Use my activity to tailor what I see.", "1"),
        new(Analytics, "Analytics", "Use my activity to measure and improve the service.", "1"),
        new(Marketing, "Marketing", "Send me news and offers.", "1"),
        new(ThirdPartySharing, "Sharing with partners", "Share my data with partner companies.", "1"),
    ];
}
