using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>The registered purposes, checked at start and fixed for the life of the app.</summary>
public sealed class ConsentPurposeCatalog
{
    private readonly ConsentPurpose[] _purposes;

    // The ids alone, in the same order: the gate's reference match per check reads one array.
    private readonly string[] _ids;
    private readonly Dictionary<string, int> _indexById;

    // Root-first ancestor indexes per purpose, worked out once so the gate never walks ids per check.
    private readonly int[][] _ancestors;
    private readonly int[] _parents;

    /// <summary>Creates the catalog from validated options.</summary>
    /// <param name="options">The options; reading them runs the start-up validation.</param>
    internal ConsentPurposeCatalog(IOptions<ConsentKitOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value.Purposes)
    {
    }

    /// <summary>Creates the catalog from a list of purposes.</summary>
    /// <param name="purposes">The purposes.</param>
    /// <exception cref="ArgumentException">The list breaks a purpose rule; the message names every problem.</exception>
    internal ConsentPurposeCatalog(IEnumerable<ConsentPurpose> purposes)
    {
        ArgumentNullException.ThrowIfNull(purposes);
        _purposes = [.. purposes];
        var problems = ConsentPurposeRules.FindProblems(_purposes);
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid consent purposes: " + string.Join(" ", problems), nameof(purposes));
        }

        _ids = [.. _purposes.Select(p => p.Id)];
        _indexById = new Dictionary<string, int>(_purposes.Length, StringComparer.Ordinal);
        for (var i = 0; i < _purposes.Length; i++)
        {
            _indexById.Add(_purposes[i].Id, i);
        }

        _parents = new int[_purposes.Length];
        _ancestors = new int[_purposes.Length][];
        for (var i = 0; i < _purposes.Length; i++)
        {
            var parentId = _purposes[i].ParentId;
            _parents[i] = parentId is null ? -1 : _indexById[parentId];
            var chain = new List<int>();
            for (var p = ConsentPurposeId.GetParent(_purposes[i].Id); p is not null; p = ConsentPurposeId.GetParent(p))
            {
                chain.Insert(0, _indexById[p]);
            }

            _ancestors[i] = [.. chain];
        }
    }

    /// <summary>Every registered purpose, in registration order.</summary>
    public IReadOnlyList<ConsentPurpose> Purposes => _purposes;

    /// <summary>Looks a purpose up by id.</summary>
    /// <param name="purposeId">The id.</param>
    /// <param name="purpose">The purpose, when registered.</param>
    public bool TryGetPurpose(string purposeId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ConsentPurpose? purpose)
    {
        var index = IndexOf(purposeId);
        purpose = index < 0 ? null : _purposes[index];
        return purpose is not null;
    }

    /// <summary>
    /// When <paramref name="grant"/> stops being valid under its purpose as registered now: the expiry it was
    /// recorded with or its recorded time plus the purpose's current lifetime, whichever comes first (the rule
    /// every decision uses). For showing people when a grant ends or ended; decisions come from the gate.
    /// </summary>
    /// <param name="grant">A grant.</param>
    /// <returns>The instant; <see langword="null"/> when it never expires or its purpose is not registered.</returns>
    /// <exception cref="ArgumentException"><paramref name="grant"/> is not a grant.</exception>
    public DateTimeOffset? ExpiryOf(ConsentRecord grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        if (grant.Status != ConsentStatus.Granted)
        {
            throw new ArgumentException("Only a grant expires.", nameof(grant));
        }

        var index = IndexOf(grant.PurposeId);
        if (index < 0)
        {
            return null;
        }

        var expiry = ConsentEvaluator.ExpiryOf(grant, _purposes[index]);
        return expiry == DateTimeOffset.MaxValue ? null : expiry;
    }

    internal int Count => _purposes.Length;

    internal ConsentPurpose this[int index] => _purposes[index];

    /// <summary>The id of the purpose at <paramref name="index"/>.</summary>
    internal string IdAt(int index) => _ids[index];

    internal int IndexOf(string? purposeId)
    {
        if (purposeId is null)
        {
            return -1;
        }

        // Callers usually pass the same interned constant that was registered: a reference match
        // skips hashing the id on the hot path.
        var ids = _ids;
        for (var i = 0; i < ids.Length; i++)
        {
            if (ReferenceEquals(ids[i], purposeId))
            {
                return i;
            }
        }

        return _indexById.TryGetValue(purposeId, out var index) ? index : -1;
    }

    internal int ParentOf(int index) => _parents[index];

    internal ReadOnlySpan<int> AncestorsOf(int index) => _ancestors[index];

    /// <summary>Whether any registered purpose has <paramref name="index"/> as an ancestor.</summary>
    internal bool HasDescendants(int index)
    {
        for (var i = 0; i < _ancestors.Length; i++)
        {
            if (_ancestors[i].AsSpan().Contains(index))
            {
                return true;
            }
        }

        return false;
    }
}
