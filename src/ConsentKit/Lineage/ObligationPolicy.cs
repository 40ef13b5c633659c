namespace ConsentKit;

/// <summary>
/// What an artifact owes the people whose data it holds once they withdraw (or refuse, or their consent
/// expires, or they are erased): set per purpose in <see cref="ModelLineageOptions"/>.
/// </summary>
public sealed class ObligationPolicy
{
    private ObligationPolicy(string name, string owed, TimeSpan? within, bool excludeFromNextBuild)
    {
        Name = name;
        Owed = owed;
        Within = within;
        ExcludeFromNextBuild = excludeFromNextBuild;
    }

    /// <summary>The policy's name, e.g. <c>retrain-or-retire</c>.</summary>
    public string Name { get; }

    /// <summary>What is owed, in words for the people who answer for the artifact.</summary>
    public string Owed { get; }

    /// <summary>How long after the withdrawal it is owed by; <see langword="null"/>: no deadline of its own.</summary>
    public TimeSpan? Within { get; }

    /// <summary>Whether a build made after the withdrawal that still holds the person is overdue at once.</summary>
    public bool ExcludeFromNextBuild { get; }

    /// <summary>
    /// Leave the person out of the next build: no deadline while the artifact was built before the withdrawal;
    /// an artifact built after it that still holds the person is overdue at once.
    /// </summary>
    public static ObligationPolicy ExcludeFromNextBuildPolicy() =>
        new("exclude-from-next-build", "Leave them out of the next build.", null, excludeFromNextBuild: true);

    /// <summary>Rebuild without the person, or retire the artifact, within <paramref name="within"/> of the withdrawal.</summary>
    /// <param name="within">The time allowed, more than zero.</param>
    public static ObligationPolicy RetrainOrRetireWithin(TimeSpan within)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(within, TimeSpan.Zero);
        return new("retrain-or-retire", $"Rebuild without them, or retire it, within {Describe(within)} of the withdrawal.", within, excludeFromNextBuild: false);
    }

    /// <summary>A policy of your own (e.g. machine unlearning within 14 days).</summary>
    /// <param name="name">Its name (1 to 256 characters).</param>
    /// <param name="owed">What is owed, in words.</param>
    /// <param name="within">How long after the withdrawal it is owed by; <see langword="null"/> for no deadline.</param>
    public static ObligationPolicy Custom(string name, string owed, TimeSpan? within)
    {
        LineageLog.CheckName(name, nameof(name));
        ArgumentException.ThrowIfNullOrWhiteSpace(owed);
        if (within is { } w)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(w, TimeSpan.Zero, nameof(within));
        }

        return new(name, owed, within, excludeFromNextBuild: false);
    }

    /// <summary>The deadline for one person: the withdrawal plus <see cref="Within"/>; for <see cref="ExcludeFromNextBuild"/>, the withdrawal itself when the artifact was built after it.</summary>
    internal DateTimeOffset? DeadlineFor(DateTimeOffset? since, DateTimeOffset builtAt) =>
        since is not { } at ? null
        : Within is { } within ? at + within
        : ExcludeFromNextBuild && builtAt >= at ? at
        : null;

    private static string Describe(TimeSpan span) => span.TotalDays >= 1 && span.Ticks % TimeSpan.TicksPerDay == 0 ? $"{span.TotalDays:0} days" : span.ToString();

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Owed}";
}

/// <summary>Settings for <see cref="IModelLineage"/>: what artifacts owe, per purpose.</summary>
public sealed class ModelLineageOptions
{
    /// <summary>
    /// The policy per purpose id. A purpose without one takes its nearest ancestor's, then <see cref="DefaultPolicy"/>.
    /// Each id must be a registered purpose (checked at start).
    /// </summary>
    public IDictionary<string, ObligationPolicy> Policies { get; } = new Dictionary<string, ObligationPolicy>(StringComparer.Ordinal);

    /// <summary>
    /// The policy for purposes without one: rebuild or retire within 30 days, the month GDPR Art. 12(3) allows
    /// for answering a request.
    /// </summary>
    public ObligationPolicy DefaultPolicy { get; set; } = ObligationPolicy.RetrainOrRetireWithin(TimeSpan.FromDays(30));

    /// <summary>How often <c>AddObligationsMonitor</c> checks every artifact's obligations (default 1 hour).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The policy that applies to <paramref name="purposeId"/>.</summary>
    /// <param name="purposeId">The purpose.</param>
    public ObligationPolicy PolicyFor(string purposeId)
    {
        for (var id = purposeId; id is not null; id = ConsentPurposeId.GetParent(id))
        {
            if (Policies.TryGetValue(id, out var policy))
            {
                return policy;
            }
        }

        return DefaultPolicy;
    }
}
