namespace ConsentKit;

/// <summary>What a consent record says.</summary>
public enum ConsentStatus
{
    /// <summary>The subject explicitly agreed (opted in).</summary>
    Granted = 1,

    /// <summary>The subject, or a signal or operator on their behalf, said no.</summary>
    Refused = 2,

    /// <summary>An earlier agreement was taken back.</summary>
    Withdrawn = 3,
}
