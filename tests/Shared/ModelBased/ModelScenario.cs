using CsCheck;

namespace ConsentKit.ModelBased;

/// <summary>One step of a generated history.</summary>
internal abstract record ModelStep
{
    public sealed record Grant(int Subject, int Purpose) : ModelStep;

    public sealed record Refuse(int Subject, int Purpose) : ModelStep;

    public sealed record Withdraw(int Subject, int Purpose) : ModelStep;

    public sealed record WithdrawAll(int Subject) : ModelStep;

    public sealed record RefuseAll(int Subject) : ModelStep;

    public sealed record Signal(int Subject, int Purpose) : ModelStep;

    public sealed record Erase(int Subject) : ModelStep;

    public sealed record Import(int Subject, int Purpose, bool WithExpiry, bool OldNotice) : ModelStep;

    public sealed record Advance(TimeSpan By) : ModelStep;

    /// <summary>The app restarts with a purpose's lifetime changed or its notice moved on (same store).</summary>
    public sealed record ChangePurpose(int Purpose, TimeSpan? Lifetime, bool BumpNotice) : ModelStep;
}

/// <summary>A generated catalog (a hierarchy up to depth 4) and a history of steps against it.</summary>
internal sealed record ModelScenario(ModelPurpose[] Purposes, ModelStep[] Steps)
{
    public const int Subjects = 3;

    private static readonly TimeSpan?[] Lifetimes =
        [null, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.MaxValue];

    private static readonly TimeSpan[] Advances =
        [TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(2)];

    private static readonly Gen<TimeSpan?> Lifetime = Gen.Int[0, Lifetimes.Length - 1].Select(i => Lifetimes[i]);

    /// <summary>Purpose k hangs under one of the purposes before it (or none), never deeper than 4.</summary>
    private static readonly Gen<ModelPurpose[]> Catalog =
        Gen.Select(Gen.Int[-1, 4].Array[1, 5], Lifetime.Array[5], Gen.Bool.Array[5], (parents, lifetimes, covered) =>
        {
            var purposes = new List<ModelPurpose>();
            for (var k = 0; k < parents.Length; k++)
            {
                var parent = parents[k] < k ? parents[k] : -1;
                if (parent >= 0 && purposes[parent].Id.Count(c => c == '.') >= 3)
                {
                    parent = -1;
                }

                var id = parent < 0 ? $"p{k}" : $"{purposes[parent].Id}.p{k}";
                purposes.Add(new ModelPurpose(id, parent, lifetimes[k], parent >= 0 && covered[k], "1"));
            }

            return purposes.ToArray();
        });

    private static Gen<ModelStep> Step(int purposes)
    {
        var s = Gen.Int[0, Subjects - 1];
        var p = Gen.Int[0, purposes - 1];
        return Gen.Frequency(
            (6, Gen.Select(s, p, (a, b) => (ModelStep)new ModelStep.Grant(a, b))),
            (2, Gen.Select(s, p, (a, b) => (ModelStep)new ModelStep.Refuse(a, b))),
            (3, Gen.Select(s, p, (a, b) => (ModelStep)new ModelStep.Withdraw(a, b))),
            (1, s.Select(a => (ModelStep)new ModelStep.WithdrawAll(a))),
            (1, s.Select(a => (ModelStep)new ModelStep.RefuseAll(a))),
            (1, Gen.Select(s, p, (a, b) => (ModelStep)new ModelStep.Signal(a, b))),
            (1, s.Select(a => (ModelStep)new ModelStep.Erase(a))),
            (2, Gen.Select(s, p, Gen.Bool, Gen.Bool, (a, b, e, o) => (ModelStep)new ModelStep.Import(a, b, e, o))),
            (4, Gen.Int[0, Advances.Length - 1].Select(i => (ModelStep)new ModelStep.Advance(Advances[i]))),
            (1, Gen.Select(p, Lifetime, Gen.Bool, (a, l, b) => (ModelStep)new ModelStep.ChangePurpose(a, l, b))));
    }

    public static Gen<ModelScenario> Generator(int maxSteps) =>
        Catalog.SelectMany(purposes => Step(purposes.Length).Array[1, maxSteps].Select(steps => new ModelScenario(purposes, steps)));

    public override string ToString() =>
        "purposes: " + string.Join(", ", Purposes.Select(p => $"{p.Id}(life {p.Lifetime?.ToString() ?? "none"}{(p.CoveredByParent ? ", covered" : string.Empty)})")) +
        " | steps: " + string.Join(", ", Steps.Select(s => s.ToString()));
}
