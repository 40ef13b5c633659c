namespace ConsentKit;

/// <summary>How a consent record was expressed.</summary>
public enum ConsentMethod
{
    /// <summary>The subject's own explicit act in a user interface (a switch, a button, a form).</summary>
    SubjectUserInterface = 1,

    /// <summary>The subject's own call to an API, authenticated as the subject.</summary>
    SubjectApiCall = 2,

    /// <summary>A privacy signal the subject's user agent sent, such as Global Privacy Control. Never a grant.</summary>
    PrivacySignal = 3,

    /// <summary>An operator acting for the controller, e.g. on a support request. Never a grant.</summary>
    Operator = 4,

    /// <summary>An import from another system. Never a grant.</summary>
    Import = 5,
}

/// <summary>Helpers for <see cref="ConsentMethod"/>.</summary>
public static class ConsentMethodExtensions
{
    /// <summary>
    /// Whether the method is the subject's own explicit act — the only way a
    /// <see cref="ConsentStatus.Granted"/> record can come about.
    /// </summary>
    /// <param name="method">The method.</param>
    public static bool IsExplicitSubjectAct(this ConsentMethod method) =>
        method is ConsentMethod.SubjectUserInterface or ConsentMethod.SubjectApiCall;
}
