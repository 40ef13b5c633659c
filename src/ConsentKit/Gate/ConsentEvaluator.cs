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
            var index = catalog.IndexOf(record.PurposeId);

            // Keep the highest sequence even if a store hands back more than one record per purpose.
            if (index >= 0 && (current[index] is null || current[index]!.Sequence < record.Sequence))
            {
                current[index] = record;
            }
        }

        return current;
    }

    /// <summary>
    /// Decides <paramref name="purposeIndex"/> for a subject at <paramref name="now"/>.
    /// </summary>
    /// <param name="catalog">The purposes.</param>
    /// <param name="purposeIndex">The purpose asked about.</param>
    /// <param name="current">The subject's current records by purpose index.</param>
    /// <param name="now">The time to decide at.</param>
    /// <param name="allowedUntil">
    /// For an allowing decision, the first instant it stops allowing through the passage of time alone
    /// (an expiry of the grant or of a parent grant); <see cref="DateTimeOffset.MaxValue"/> when nothing expires.
    /// A denial never turns into an allowance with time, so it is <see cref="DateTimeOffset.MinValue"/> there.
    /// </param>
    public static ConsentDecision Decide(
        ConsentPurposeCatalog catalog, int purposeIndex, ConsentRecord?[] current, DateTimeOffset now, out DateTimeOffset allowedUntil)
    {
        var purposeId = catalog[purposeIndex].Id;
        allowedUntil = DateTimeOffset.MinValue;
        var until = DateTimeOffset.MaxValue;

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

                    until = Min(until, expiry);
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

                if (!string.Equals(own.NoticeVersion, purpose.NoticeVersion, StringComparison.Ordinal))
                {
                    return ConsentDecision.Deny(purposeId, ConsentDecisionReason.NoticeOutdated, own);
                }

                allowedUntil = Min(until, expiry);
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
