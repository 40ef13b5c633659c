using ConsentKit;

namespace ConsentKit.ModelBased;

/// <summary>A purpose as the reference model sees it.</summary>
internal sealed record ModelPurpose(string Id, int Parent, TimeSpan? Lifetime, bool CoveredByParent, string Notice);

/// <summary>One record the model holds: what the store should hold, in the order it was written.</summary>
internal sealed record ModelRecord(int Subject, int Purpose, ConsentStatus Status, string Notice, DateTimeOffset RecordedAt, DateTimeOffset? ExpiresAt, bool ExplicitAct);

/// <summary>
/// The consent rules written again from the README, independently of src/: a small, slow, obviously-right
/// statement of what every path must answer. The generated tests hold every path of the library to it.
/// </summary>
internal sealed class ReferenceModel(IReadOnlyList<ModelPurpose> purposes, int subjects)
{
    private readonly List<ModelRecord>[] _history = [.. Enumerable.Range(0, subjects).Select(_ => new List<ModelRecord>())];

    public List<ModelPurpose> Purposes { get; } = [.. purposes];

    public int Subjects => _history.Length;

    public IEnumerable<int> AncestorsRootFirst(int purpose)
    {
        var chain = new List<int>();
        for (var p = Purposes[purpose].Parent; p >= 0; p = Purposes[p].Parent)
        {
            chain.Insert(0, p);
        }

        return chain;
    }

    public bool IsBelow(int purpose, int ancestor) => AncestorsRootFirst(purpose).Contains(ancestor);

    /// <summary>The subject's latest record for the purpose: the last one written.</summary>
    public ModelRecord? Latest(int subject, int purpose) => _history[subject].LastOrDefault(r => r.Purpose == purpose);

    public DateTimeOffset ExpiryOf(ModelRecord grant)
    {
        var expiry = grant.ExpiresAt ?? DateTimeOffset.MaxValue;
        if (Purposes[grant.Purpose].Lifetime is { } lifetime && lifetime.Ticks < DateTimeOffset.MaxValue.UtcTicks - grant.RecordedAt.UtcTicks)
        {
            var byLifetime = grant.RecordedAt + lifetime;
            expiry = byLifetime < expiry ? byLifetime : expiry;
        }

        return expiry;
    }

    public ConsentDecisionReason Decide(int subject, int purpose, DateTimeOffset now)
    {
        foreach (var ancestor in AncestorsRootFirst(purpose))
        {
            switch (Latest(subject, ancestor))
            {
                case { Status: ConsentStatus.Refused }:
                    return ConsentDecisionReason.Refused;
                case { Status: ConsentStatus.Withdrawn }:
                    return ConsentDecisionReason.Withdrawn;
                case { Status: ConsentStatus.Granted } grant when now >= ExpiryOf(grant):
                    return ConsentDecisionReason.Expired;
            }
        }

        var deciding = purpose;
        while (Latest(subject, deciding) is null)
        {
            if (!Purposes[deciding].CoveredByParent || Purposes[deciding].Parent < 0)
            {
                return ConsentDecisionReason.NoRecord;
            }

            deciding = Purposes[deciding].Parent;
        }

        var own = Latest(subject, deciding)!;
        return own.Status switch
        {
            ConsentStatus.Refused => ConsentDecisionReason.Refused,
            ConsentStatus.Withdrawn => ConsentDecisionReason.Withdrawn,
            _ when !own.ExplicitAct => ConsentDecisionReason.NoRecord,
            _ when now >= ExpiryOf(own) => ConsentDecisionReason.Expired,
            _ when own.Notice != Purposes[deciding].Notice => ConsentDecisionReason.NoticeOutdated,
            _ => ConsentDecisionReason.Granted,
        };
    }

    /// <summary>A grant by the person: refused (nothing written) under a refused, withdrawn or expired ancestor.</summary>
    public bool Grant(int subject, int purpose, DateTimeOffset now)
    {
        foreach (var ancestor in AncestorsRootFirst(purpose))
        {
            if (Decide(subject, ancestor, now) is ConsentDecisionReason.Refused or ConsentDecisionReason.Withdrawn or ConsentDecisionReason.Expired)
            {
                return false;
            }
        }

        var lifetime = Purposes[purpose].Lifetime;
        DateTimeOffset? expires = lifetime is { } l && l.Ticks <= DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks ? now + l : null;
        _history[subject].Add(new(subject, purpose, ConsentStatus.Granted, Purposes[purpose].Notice, now, expires, ExplicitAct: true));
        return true;
    }

    /// <summary>A refusal or withdrawal, and the same for every purpose below whose latest record is a grant.</summary>
    public void TurnOff(int subject, int purpose, ConsentStatus status, DateTimeOffset now)
    {
        var below = Enumerable.Range(0, Purposes.Count).Where(i => IsBelow(i, purpose) && Latest(subject, i) is { Status: ConsentStatus.Granted }).ToList();
        _history[subject].Add(new(subject, purpose, status, Purposes[purpose].Notice, now, null, ExplicitAct: true));
        foreach (var i in below)
        {
            _history[subject].Add(new(subject, i, status, Latest(subject, i)!.Notice, now, null, ExplicitAct: true));
        }
    }

    public void All(int subject, bool refuseUnchosen, DateTimeOffset now)
    {
        for (var i = 0; i < Purposes.Count; i++)
        {
            var latest = Latest(subject, i);
            if (latest is { Status: ConsentStatus.Granted })
            {
                _history[subject].Add(new(subject, i, ConsentStatus.Withdrawn, latest.Notice, now, null, ExplicitAct: true));
            }
            else if (latest is null && refuseUnchosen)
            {
                _history[subject].Add(new(subject, i, ConsentStatus.Refused, Purposes[i].Notice, now, null, ExplicitAct: true));
            }
        }
    }

    /// <summary>A privacy signal: a refusal only where there is no choice at all, at the purpose or below it.</summary>
    public void Signal(int subject, int root, DateTimeOffset now)
    {
        for (var i = 0; i < Purposes.Count; i++)
        {
            if (i != root && !IsBelow(i, root))
            {
                continue;
            }

            var grantAtOrBelow = Enumerable.Range(0, Purposes.Count).Any(j => (j == i || IsBelow(j, i)) && Latest(subject, j) is { Status: ConsentStatus.Granted });
            if (Latest(subject, i) is null && !grantAtOrBelow)
            {
                _history[subject].Add(new(subject, i, ConsentStatus.Refused, Purposes[i].Notice, now, null, ExplicitAct: false));
            }
        }
    }

    /// <summary>Erasure: the person's own withdrawals, then nothing links the id to its records any more.</summary>
    public void Erase(int subject, DateTimeOffset now)
    {
        var before = _history[subject].Count;
        All(subject, refuseUnchosen: false, now);

        // Nothing was granted, so erasure wrote nothing to the change feed: a reader that follows the feed (a
        // kept snapshot) cannot see it and keeps the subject's last denial, with its reason, until it reads again.
        QuietlyErased |= _history[subject].Count == before && before > 0;
        _history[subject].Clear();
    }

    /// <summary>Whether some subject was erased without a record in the feed (see <see cref="Erase"/>).</summary>
    public bool QuietlyErased { get; set; }

    /// <summary>A grant bulk-imported straight into the store, past the recorder's rules.</summary>
    public void Import(int subject, int purpose, string notice, DateTimeOffset now, DateTimeOffset? expiresAt) =>
        _history[subject].Add(new(subject, purpose, ConsentStatus.Granted, notice, now, expiresAt, ExplicitAct: true));
}
