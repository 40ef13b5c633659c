namespace ConsentKit;

/// <summary>
/// The consent rules, in one place: turns a subject's current records into a decision for a purpose.
/// </summary>
/// <remarks>
/// Pure and synchronous so that the gate's cache, its slow path and the pipeline filter all decide
/// with exactly the same code.
/// </remarks>
internal static class ConsentEvaluator
{
    /// <summary>Lays a subject's current records out by purpose index; records of unregistered purposes are dropped.</summary>
    public static ConsentRecord?[] IndexByPurpose(ConsentPurposeCatalog catalog, IEnumerable<ConsentRecord> records)
    {
        var current = new ConsentRecord?[catalog.Count];
        foreach (var record in records)
        {
            Include(catalog, current, record);
        }

        return current;
    }

    /// <summary>Puts <paramref name="record"/> in its purpose's place unless a later record (higher sequence) is there: which record is current.</summary>
    public static void Include(ConsentPurposeCatalog catalog, ConsentRecord?[] current, ConsentRecord record)
    {
        var index = catalog.IndexOf(record.PurposeId);

        // Keep the highest sequence even if a store hands back more than one record per purpose.
        if (index >= 0 && (current[index] is null || current[index]!.Sequence < record.Sequence))
        {
            current[index] = record;
        }
    }

    /// <summary>
    /// Decides <paramref name="purposeIndex"/> for a subject at <paramref name="now"/>.
    /// </summary>
    /// <param name="catalog">The purposes.</param>
    /// <param name="purposeIndex">The purpose asked about.</param>
    /// <param name="current">The subject's current records by purpose index.</param>
    /// <param name="now">The time to decide at.</param>
    /// <param name="holdsUntil">
    /// The decision's horizon: the first instant at which time alone could change it — allow or deny, or the
    /// reason — because a grant it rests on or passes over (its own, a covering parent's, an ancestor's)
    /// reaches its expiry; <see cref="DateTimeOffset.MaxValue"/> when nothing ahead can. Every cache, kept
    /// snapshot and schedule uses this instant; nothing else works out an expiry.
    /// </param>
    public static ConsentDecision Decide(
        ConsentPurposeCatalog catalog, int purposeIndex, ConsentRecord?[] current, DateTimeOffset now, out DateTimeOffset holdsUntil)
    {
        var purposeId = catalog[purposeIndex].Id;

        // Every ancestor grant passed over on the way can still expire and turn this decision into
        // "expired", whatever it is, so the horizon starts from theirs.
        holdsUntil = DateTimeOffset.MaxValue;

        // A parent that was refused, withdrawn or has expired blocks every descendant, whatever the
        // descendant's own record says.
        foreach (var ancestor in catalog.AncestorsOf(purposeIndex))
        {
            var record = current[ancestor];
            if (record is null)
            {
                continue;
            }

            switch (record.Status)
            {
                case ConsentStatus.Refused:
                    return ConsentDecision.Deny(purposeId, ConsentDecisionReason.Refused, record);
                case ConsentStatus.Withdrawn:
                    return ConsentDecision.Deny(purposeId, ConsentDecisionReason.Withdrawn, record);
                case ConsentStatus.Granted:
                    var expiry = ExpiryOf(record, catalog[ancestor]);
                    if (now >= expiry)
                    {
                        return ConsentDecision.Deny(purposeId, ConsentDecisionReason.Expired, record);
                    }

                    holdsUntil = Min(holdsUntil, expiry);
                    break;
            }
        }

        // The purpose's own record, or else a covering parent's grant.
        var deciding = purposeIndex;
        while (current[deciding] is null)
        {
            var parent = catalog.ParentOf(deciding);
            if (!catalog[deciding].CoveredByParent || parent < 0)
            {
                return ConsentDecision.Deny(purposeId, ConsentDecisionReason.NoRecord);
            }

            deciding = parent;
        }

        var own = current[deciding]!;
        switch (own.Status)
        {
            case ConsentStatus.Refused:
                return ConsentDecision.Deny(purposeId, ConsentDecisionReason.Refused, own);
            case ConsentStatus.Withdrawn:
                return ConsentDecision.Deny(purposeId, ConsentDecisionReason.Withdrawn, own);
            case ConsentStatus.Granted when own.Method.IsExplicitSubjectAct():
                var purpose = catalog[deciding];
                var expiry = ExpiryOf(own, purpose);
                if (now >= expiry)
                {
                    return ConsentDecision.Deny(purposeId, ConsentDecisionReason.Expired, own);
                }

                // An outdated notice denies now, and reads "expired" once the grant's lifetime ends.
                holdsUntil = Min(holdsUntil, expiry);
                if (!string.Equals(own.NoticeVersion, purpose.NoticeVersion, StringComparison.Ordinal))
                {
                    return ConsentDecision.Deny(purposeId, ConsentDecisionReason.NoticeOutdated, own);
                }

                return ConsentDecision.Allow(purposeId, own);
            default:
                // Unreachable through the public types (a grant must be the subject's own act); a row
                // tampered with in a database still must not allow.
                return ConsentDecision.Deny(purposeId, ConsentDecisionReason.NoRecord, own);
        }
    }

    /// <summary>
    /// When a grant stops being valid: the expiry it was recorded with, or its recorded time plus the
    /// purpose's current lifetime, whichever comes first (a lifetime shortened later still applies).
    /// </summary>
    public static DateTimeOffset ExpiryOf(ConsentRecord grant, ConsentPurpose purpose)
    {
        var expiry = grant.ExpiresAt ?? DateTimeOffset.MaxValue;
        if (purpose.Lifetime is { } lifetime && lifetime.Ticks < DateTimeOffset.MaxValue.UtcTicks - grant.RecordedAt.UtcTicks)
        {
            expiry = Min(expiry, grant.RecordedAt + lifetime);
        }

        return expiry;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;
}
