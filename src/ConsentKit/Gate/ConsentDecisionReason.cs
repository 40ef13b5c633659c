namespace ConsentKit;

/// <summary>Why the gate decided as it did.</summary>
/// <remarks>
/// Only <see cref="Granted"/> allows. The default value, <see cref="NoRecord"/>, denies: a
/// <c>default(ConsentDecision)</c> is a denial.
/// </remarks>
public enum ConsentDecisionReason
{
    /// <summary>Denied: the subject never made a choice for this purpose.</summary>
    NoRecord = 0,

    /// <summary>Allowed: a valid explicit grant under the current notice, by the purpose itself or by a parent that covers it.</summary>
    Granted = 1,

    /// <summary>Denied: the subject (or a signal or operator on their behalf) refused this purpose or a parent of it.</summary>
    Refused = 2,

    /// <summary>Denied: the grant for this purpose or a parent of it was withdrawn.</summary>
    Withdrawn = 3,

    /// <summary>Denied: the grant for this purpose or a parent of it is past its expiry.</summary>
    Expired = 4,

    /// <summary>Denied: the grant was given under an older notice version; the subject must agree again.</summary>
    NoticeOutdated = 5,

    /// <summary>Denied: the purpose is not registered.</summary>
    UnknownPurpose = 6,

    /// <summary>Denied: the store failed or timed out, so consent could not be confirmed.</summary>
    StoreUnavailable = 7,
}
