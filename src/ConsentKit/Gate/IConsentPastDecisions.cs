namespace ConsentKit;

/// <summary>
/// Decides a purpose at a past instant from a subject's records as they stood then, by the same rules and the
/// same service as every gate check: for audits of a data use that began in the past. The registered purposes
/// give the hierarchy and lifetimes; the caller says which notice version each purpose had then. A purpose not
/// registered here is judged from what the store keeps of it (its id and notice version): its grants end
/// only at their recorded expiry, and a parent's grant does not cover it.
/// </summary>
public interface IConsentPastDecisions
{
    /// <summary>Decides <paramref name="purposeId"/> at <paramref name="at"/>.</summary>
    /// <param name="records">One subject's records; those recorded after <paramref name="at"/> are not looked at.</param>
    /// <param name="purposeId">The purpose.</param>
    /// <param name="at">The instant to decide at.</param>
    /// <param name="noticeVersionsAt">
    /// The notice version each purpose had at <paramref name="at"/>, by purpose id; a purpose not named keeps
    /// its registered version. Pass the same dictionary for many subjects: the purposes are rebuilt once for it.
    /// </param>
    /// <returns>The decision; <see cref="ConsentDecisionReason.UnknownPurpose"/> for an id that is not a valid purpose id.</returns>
    ConsentDecision DecideAt(IEnumerable<ConsentRecord> records, string purposeId, DateTimeOffset at, IReadOnlyDictionary<string, string> noticeVersionsAt);
}
