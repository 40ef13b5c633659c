namespace ConsentKit;

/// <summary>
/// Every subject's decision for one purpose at one store watermark, from one scan of the purpose's
/// current state (<see cref="ConsentGate.DecideAllAsync"/>): for pipeline runs that meet a large share of
/// all subjects. A subject the scan did not meet has no record and is denied.
/// </summary>
internal sealed class ConsentPurposeDecisions
{
    private readonly Dictionary<string, ConsentDecision> _decisions;
    private readonly ConsentDecision _absent;

    internal ConsentPurposeDecisions(string purposeId, long watermark, DateTimeOffset decidedAt, Dictionary<string, ConsentDecision> decisions, ConsentDecisionReason absentReason)
    {
        PurposeId = purposeId;
        Watermark = watermark;
        DecidedAt = decidedAt;
        _decisions = decisions;
        _absent = ConsentDecision.Deny(purposeId, absentReason);
    }

    /// <summary>The purpose decided.</summary>
    public string PurposeId { get; }

    /// <summary>The store sequence the decisions were read at.</summary>
    public long Watermark { get; }

    /// <summary>The time the decisions were made at (expiry is judged at this instant).</summary>
    public DateTimeOffset DecidedAt { get; }

    /// <summary>Whether the store could not be read: every decision is then <see cref="ConsentDecisionReason.StoreUnavailable"/>.</summary>
    public bool StoreUnavailable => _absent.Reason == ConsentDecisionReason.StoreUnavailable;

    /// <summary>The subjects the scan met (with any record for the purpose or an ancestor), and their decisions.</summary>
    public IReadOnlyDictionary<string, ConsentDecision> Decisions => _decisions;

    /// <summary>The decision for <paramref name="subjectId"/>.</summary>
    public ConsentDecision Decide(string subjectId) => _decisions.TryGetValue(subjectId, out var decision) ? decision : _absent;
}
