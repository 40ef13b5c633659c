using CsCheck;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

/// <summary>
/// Recorder and gate under concurrent writers and checkers (CsCheck's linearizability check): whatever the
/// interleaving, what the gate answers afterwards for every subject and purpose — from its cache, which the
/// concurrent checks fill while writes invalidate it — is what some one-at-a-time order of the same choices
/// gives.
/// </summary>
public sealed class ConcurrentModelTests
{
    private const string Parent = ConsentPurposes.AiTraining;
    private const string Child = ConsentPurposes.GenerativeAiTraining;
    private static readonly string[] Subjects = ["ada", "bob"];
    private static readonly string[] Purposes = [Parent, Child];

    [Fact]
    public void ConcurrentChoicesAndChecks_LeaveTheGateAsSomeOrderOfThemWould()
    {
        var subject = Gen.Int[0, Subjects.Length - 1].Select(i => Subjects[i]);
        var purpose = Gen.Int[0, Purposes.Length - 1].Select(i => Purposes[i]);
        Gen.Int.Select(_ => new System()).SampleParallel(
            [
                Gen.Select(subject, purpose).Operation<System>(t => $"grant {t.Item1} {t.Item2}", (s, t) => s.Grant(t.Item1, t.Item2)),
                Gen.Select(subject, purpose).Operation<System>(t => $"withdraw {t.Item1} {t.Item2}", (s, t) => s.Run(k => k.WithdrawAsync(t.Item1, t.Item2))),
                Gen.Select(subject, purpose).Operation<System>(t => $"refuse {t.Item1} {t.Item2}", (s, t) => s.Run(k => k.RefuseAsync(t.Item1, t.Item2))),
                Gen.Select(subject, purpose).Operation<System>(t => $"check {t.Item1} {t.Item2}", (s, t) => s.Run(k => k.CheckAsync(t.Item1, t.Item2))),
                subject.Operation<System>(t => $"withdraw all {t}", (s, t) => s.Run(k => k.Recorder.WithdrawAllAsync(t, ConsentEvidence.FromUserInterface(null, "settings-page")))),
            ],
            equal: (a, b) => a.State() == b.State(),
            iter: ModelBased.ModelChecks.Iterations(300),
            print: s => s.State());
    }

    /// <summary>One app on an in-memory store; what it answers is its state.</summary>
    private sealed class System
    {
        private readonly ConsentKitFixture _kit = new();

        public void Grant(string subject, string purpose)
        {
            try
            {
                Run(k => k.GrantAsync(subject, purpose));
            }
            catch (ConsentBlockedByAncestorException)
            {
                // Refused with a reason, nothing written: as in any order where the parent was off first.
            }
        }

        public void Run<T>(Func<ConsentKitFixture, ValueTask<T>> action) => action(_kit).AsTask().GetAwaiter().GetResult();

        public string State() => string.Join(", ", Subjects.SelectMany(s => Purposes.Select(p => $"{s}/{p}: {_kit.CheckAsync(s, p).AsTask().GetAwaiter().GetResult().Reason}")));
    }
}
