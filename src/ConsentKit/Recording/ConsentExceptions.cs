namespace ConsentKit;

/// <summary>A consent call named a purpose that is not registered. Nothing was written.</summary>
public sealed class ConsentPurposeNotFoundException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="purposeId">The purpose id that was asked for.</param>
    /// <param name="paramName">The parameter that carried it.</param>
    public ConsentPurposeNotFoundException(string purposeId, string paramName = "purposeId")
        : base($"The purpose '{purposeId}' is not registered.", paramName)
    {
        PurposeId = purposeId;
    }

    /// <summary>The purpose id that was asked for.</summary>
    public string PurposeId { get; }
}

/// <summary>A grant named a notice version other than the purpose's current one. Nothing was written.</summary>
public sealed class ConsentNoticeOutdatedException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="givenNoticeVersion">The version the caller named.</param>
    /// <param name="currentNoticeVersion">The purpose's current version.</param>
    /// <param name="paramName">The field that carried the version.</param>
    public ConsentNoticeOutdatedException(string purposeId, string? givenNoticeVersion, string currentNoticeVersion, string paramName = "evidence.NoticeVersion")
        : base(
            givenNoticeVersion is null
                ? $"A grant of '{purposeId}' must name the notice version the subject saw; the current version is '{currentNoticeVersion}'."
                : $"A grant of '{purposeId}' was given under notice version '{givenNoticeVersion}', but the current version is '{currentNoticeVersion}': show the current notice and ask again.",
            paramName)
    {
        PurposeId = purposeId;
        GivenNoticeVersion = givenNoticeVersion;
        CurrentNoticeVersion = currentNoticeVersion;
    }

    /// <summary>The purpose.</summary>
    public string PurposeId { get; }

    /// <summary>The version the caller named.</summary>
    public string? GivenNoticeVersion { get; }

    /// <summary>The purpose's current notice version.</summary>
    public string CurrentNoticeVersion { get; }
}

/// <summary>
/// A grant was refused because an ancestor purpose is refused, withdrawn or expired — the states that deny
/// every descendant — so the grant could not take effect. Nothing was written.
/// </summary>
/// <remarks>
/// Turn the ancestor on first (its own explicit grant), then the purpose. A grant that the gate would
/// ignore is never recorded: it would sit dormant and start allowing, unnoticed, once the ancestor is
/// turned on.
/// </remarks>
public sealed class ConsentBlockedByAncestorException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="purposeId">The purpose whose grant was refused.</param>
    /// <param name="ancestorId">The ancestor that blocks it.</param>
    /// <param name="ancestorState">Why: <see cref="ConsentDecisionReason.Refused"/>, <see cref="ConsentDecisionReason.Withdrawn"/> or <see cref="ConsentDecisionReason.Expired"/>.</param>
    public ConsentBlockedByAncestorException(string purposeId, string ancestorId, ConsentDecisionReason ancestorState)
        : base($"'{purposeId}' cannot be granted while '{ancestorId}' is {Describe(ancestorState)}: grant '{ancestorId}' first. Nothing was written.")
    {
        PurposeId = purposeId;
        AncestorId = ancestorId;
        AncestorState = ancestorState;
    }

    /// <summary>The purpose whose grant was refused.</summary>
    public string PurposeId { get; }

    /// <summary>The ancestor that blocks it.</summary>
    public string AncestorId { get; }

    /// <summary>The ancestor's state: refused, withdrawn or expired.</summary>
    public ConsentDecisionReason AncestorState { get; }

    private static string Describe(ConsentDecisionReason state) => state switch
    {
        ConsentDecisionReason.Refused => "refused",
        ConsentDecisionReason.Withdrawn => "withdrawn",
        _ => "expired",
    };
}
