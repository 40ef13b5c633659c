using CsCheck;
using ConsentKit;
using ConsentKit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ConsentKit.ModelBased;

/// <summary>
/// Runs generated scenarios against a real store and, after every step, asks every path that can let data
/// through — the gate one by one and in bulk, the reader, the filter by id / from a snapshot / automatic /
/// from a kept snapshot, and the purpose-wide read that snapshot files are written from — and holds each
/// answer to the <see cref="ReferenceModel"/>. A disagreement fails with the path, subject, purpose, both
/// answers, the shrunk scenario and its seed.
/// </summary>
internal static class ModelChecks
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>How many scenarios: the given count, times <c>CONSENTKIT_MODEL_SOAK</c> when set (a long soak).</summary>
    public static long Iterations(long count) =>
        long.TryParse(Environment.GetEnvironmentVariable("CONSENTKIT_MODEL_SOAK"), out var factor) && factor > 1 ? count * factor : count;

    /// <summary>Runs <paramref name="iterations"/> scenarios, each on a new store from <paramref name="newStore"/>.</summary>
    public static Task RunAsync(
        Func<Task<(IConsentStore Store, Func<Task> Cleanup)>> newStore, long iterations, int maxSteps = 14, string? seed = null, ModelExtraPaths? extra = null) =>
        ModelScenario.Generator(maxSteps).SampleAsync(
            async scenario =>
            {
                var (store, cleanup) = await newStore();
                try
                {
                    await RunScenarioAsync(scenario, store, extra);
                }
                finally
                {
                    await cleanup();
                }
            },
            seed: seed,
            iter: Iterations(iterations),
            threads: 1,
            print: s => s.ToString());

    /// <summary>One scenario, step by step, checked after each.</summary>
    public static async Task RunScenarioAsync(ModelScenario scenario, IConsentStore store, ModelExtraPaths? extra = null)
    {
        var time = new FakeTimeProvider(Start);
        var model = new ReferenceModel(scenario.Purposes, ModelScenario.Subjects);
        var kit = new Kit(model, store, time, extra);
        try
        {
            await kit.CheckEveryPathAsync("at the start");
            for (var i = 0; i < scenario.Steps.Length; i++)
            {
                var step = scenario.Steps[i];
                kit = await ApplyAsync(step, kit, model, store, time, extra);
                await kit.CheckEveryPathAsync($"after step {i + 1} ({step})");
            }
        }
        finally
        {
            kit.Dispose();
        }
    }

    private static async Task<Kit> ApplyAsync(ModelStep step, Kit kit, ReferenceModel model, IConsentStore store, FakeTimeProvider time, ModelExtraPaths? extra)
    {
        var now = time.GetUtcNow();
        switch (step)
        {
            case ModelStep.Grant(var s, var p):
                var allowedToGrant = model.Grant(s, p, now);
                var blocked = false;
                try
                {
                    await kit.Recorder.GrantAsync(Kit.SubjectId(s), model.Purposes[p].Id, ConsentEvidence.FromUserInterface(model.Purposes[p].Notice, "model"));
                }
                catch (ConsentBlockedByAncestorException)
                {
                    blocked = true;
                }

                if (blocked == allowedToGrant)
                {
                    throw new InvalidOperationException($"{step}: the recorder {(blocked ? "refused" : "recorded")} the grant, the model {(allowedToGrant ? "records" : "refuses")} it.");
                }

                break;
            case ModelStep.Refuse(var s, var p):
                model.TurnOff(s, p, ConsentStatus.Refused, now);
                await kit.Recorder.RefuseAsync(Kit.SubjectId(s), model.Purposes[p].Id, ConsentEvidence.FromUserInterface(model.Purposes[p].Notice, "model"));
                break;
            case ModelStep.Withdraw(var s, var p):
                model.TurnOff(s, p, ConsentStatus.Withdrawn, now);
                await kit.Recorder.WithdrawAsync(Kit.SubjectId(s), model.Purposes[p].Id, ConsentEvidence.FromUserInterface(model.Purposes[p].Notice, "model"));
                break;
            case ModelStep.WithdrawAll(var s):
                model.All(s, refuseUnchosen: false, now);
                await kit.Recorder.WithdrawAllAsync(Kit.SubjectId(s), ConsentEvidence.FromUserInterface(null, "model"));
                break;
            case ModelStep.RefuseAll(var s):
                model.All(s, refuseUnchosen: true, now);
                await kit.Recorder.RefuseAllAsync(Kit.SubjectId(s), ConsentEvidence.FromUserInterface(null, "model"));
                break;
            case ModelStep.Signal(var s, var p):
                model.Signal(s, p, now);
                await kit.Recorder.RecordPrivacySignalAsync(Kit.SubjectId(s), [model.Purposes[p].Id], "sec-gpc");
                break;
            case ModelStep.Erase(var s):
                model.Erase(s, now);
                await kit.Recorder.EraseSubjectAsync(Kit.SubjectId(s), ConsentEvidence.FromUserInterface(null, "model"));
                break;
            case ModelStep.Import(var s, var p, var withExpiry, var oldNotice):
                var notice = oldNotice ? "0" : model.Purposes[p].Notice;
                DateTimeOffset? expires = withExpiry ? now + TimeSpan.FromHours(1) : null;
                model.Import(s, p, notice, now, expires);
                await store.AppendAsync(new NewConsentRecord(Kit.SubjectId(s), model.Purposes[p].Id, ConsentStatus.Granted, notice, now, expires, ConsentMethod.SubjectApiCall));

                // As the change-feed follower would, for a write made outside this app.
                kit.Provider.GetRequiredService<IConsentCacheInvalidator>().Invalidate(Kit.SubjectId(s));
                break;
            case ModelStep.Advance(var by):
                time.Advance(by);
                break;
            case ModelStep.ChangePurpose(var p, var lifetime, var bump):
                var old = model.Purposes[p];
                model.Purposes[p] = old with { Lifetime = lifetime, Notice = bump ? (int.Parse(old.Notice, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : old.Notice };
                kit.Dispose();
                return new Kit(model, store, time, extra);
        }

        return kit;
    }

    /// <summary>The app as a host would build it, on a store that outlives it (a restart keeps the data).</summary>
    private sealed class Kit : IDisposable
    {
        private readonly ReferenceModel _model;
        private readonly FakeTimeProvider _time;
        private readonly Dictionary<int, ConsentPurposeSnapshot> _kept = [];
        private readonly ModelExtraPaths? _extra;

        public Kit(ReferenceModel model, IConsentStore store, FakeTimeProvider time, ModelExtraPaths? extra)
        {
            _extra = extra;
            _model = model;
            _time = time;
            var services = new ServiceCollection();
            services.AddSingleton<TimeProvider>(time);
            var builder = services.AddConsentKit();
            foreach (var p in model.Purposes)
            {
                builder.AddPurpose(new ConsentPurpose(p.Id, p.Id, $"What {p.Id} means.", p.Notice) { Lifetime = p.Lifetime, CoveredByParent = p.CoveredByParent });
            }

            // Wrapped so that disposing this app does not dispose the store the next one opens.
            var shared = new DelegatingConsentStore(store);
            builder.UseStore(_ => shared);
            extra?.Configure(builder, store);
            Provider = services.BuildServiceProvider();
        }

        public ServiceProvider Provider { get; }

        public IConsentRecorder Recorder => Provider.GetRequiredService<IConsentRecorder>();

        public static string SubjectId(int subject) => $"s{subject}";

        public async Task CheckEveryPathAsync(string when)
        {
            var now = _time.GetUtcNow();
            var gate = Provider.GetRequiredService<IConsentGate>();
            var reader = Provider.GetRequiredService<IConsentReader>();
            var purposes = Provider.GetRequiredService<IConsentPurposeReader>();
            var filter = Provider.GetRequiredService<ConsentFilter>();
            var ids = Enumerable.Range(0, _model.Subjects).Select(SubjectId).ToArray();
            var past = Provider.GetRequiredService<IConsentPastDecisions>();
            var store = Provider.GetRequiredService<IConsentStore>();
            var notices = _model.Purposes.ToDictionary(p => p.Id, p => p.Notice, StringComparer.Ordinal);
            var snapshots = new ConsentSubjectSnapshot[_model.Subjects];
            var histories = new IReadOnlyList<ConsentRecord>[_model.Subjects];
            for (var s = 0; s < _model.Subjects; s++)
            {
                snapshots[s] = await reader.GetSnapshotAsync(SubjectId(s));
                histories[s] = await store.GetHistoryAsync(SubjectId(s));
            }

            for (var p = 0; p < _model.Purposes.Count; p++)
            {
                var purposeId = _model.Purposes[p].Id;
                var expected = Enumerable.Range(0, _model.Subjects).Select(s => _model.Decide(s, p, now)).ToArray();
                var many = await gate.CheckManyAsync([.. ids, "nobody"], purposeId);
                for (var s = 0; s < _model.Subjects; s++)
                {
                    Agree("CheckAsync", s, p, expected[s], (await gate.CheckAsync(SubjectId(s), purposeId)).Reason);
                    Agree("CheckManyAsync", s, p, expected[s], many[SubjectId(s)].Reason);
                    Agree("IConsentReader.GetSnapshotAsync", s, p, expected[s], snapshots[s].For(purposeId).Reason);
                    Agree("IConsentPastDecisions.DecideAt (the auditor's rules) now", s, p, expected[s], past.DecideAt(histories[s], purposeId, now, notices).Reason);
                }

                if (!_kept.TryGetValue(p, out var kept))
                {
                    _kept[p] = kept = filter.KeepSnapshot(purposeId);
                }

                await FilterAgreesAsync("filter by id", p, expected, filter, new() { Lookup = ConsentFilterLookup.BySubject, BatchSize = 2 });
                await FilterAgreesAsync("filter from a snapshot", p, expected, filter, new() { Lookup = ConsentFilterLookup.Snapshot });
                await FilterAgreesAsync("filter, automatic (switches mid-run)", p, expected, filter, new() { SnapshotThreshold = 1, BatchSize = 1 });
                await FilterAgreesAsync("filter from a kept snapshot", p, expected, filter, new() { KeptSnapshot = kept }, reasons: !_model.QuietlyErased);

                var allowed = (await purposes.ReadAllowedAsync(purposeId)).Subjects.Select(a => a.SubjectId).Where(ids.Contains).Order(StringComparer.Ordinal);
                var modelAllowed = Enumerable.Range(0, _model.Subjects).Where(s => expected[s] == ConsentDecisionReason.Granted).Select(SubjectId);
                if (!allowed.SequenceEqual(modelAllowed))
                {
                    throw new ModelDisagreementException($"{when}: IConsentPurposeReader.ReadAllowedAsync('{purposeId}') allows [{string.Join(", ", allowed)}], the model [{string.Join(", ", modelAllowed)}].");
                }

                foreach (var (path, read) in _extra?.AllowedReaders ?? [])
                {
                    var found = (await read(Provider, purposeId)).Where(ids.Contains).Order(StringComparer.Ordinal).ToList();
                    if (!found.SequenceEqual(modelAllowed))
                    {
                        throw new ModelDisagreementException($"{when}: {path}('{purposeId}') allows [{string.Join(", ", found)}], the model [{string.Join(", ", modelAllowed)}].");
                    }
                }
            }

            void Agree(string path, int s, int p, ConsentDecisionReason expected, ConsentDecisionReason actual)
            {
                if (expected != actual)
                {
                    throw new ModelDisagreementException($"{when}: {path}({SubjectId(s)}, '{_model.Purposes[p].Id}') answered {actual}, the model {expected} (at {_time.GetUtcNow():O}).");
                }
            }

            async Task FilterAgreesAsync(string path, int p, ConsentDecisionReason[] expected, ConsentFilter filter, ConsentFilterOptions options, bool reasons = true)
            {
                // One item per subject, and one for an id nobody has used.
                var run = filter.Filter([.. ids, "nobody"], id => id, _model.Purposes[p].Id, options);
                var kept = new List<string>();
                await foreach (var id in run)
                {
                    kept.Add(id);
                }

                var modelKept = Enumerable.Range(0, _model.Subjects).Where(s => expected[s] == ConsentDecisionReason.Granted).Select(SubjectId).ToList();
                if (!kept.SequenceEqual(modelKept))
                {
                    throw new ModelDisagreementException($"{when}: {path} for '{_model.Purposes[p].Id}' kept [{string.Join(", ", kept)}], the model [{string.Join(", ", modelKept)}].");
                }

                var expectedReasons = expected.Where(r => r != ConsentDecisionReason.Granted).Append(ConsentDecisionReason.NoRecord)
                    .GroupBy(r => r).ToDictionary(g => g.Key, g => (long)g.Count());
                var actual = run.Report.LeftOutByReason.Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key, kv => kv.Value);
                if (reasons && (expectedReasons.Count != actual.Count || expectedReasons.Any(kv => !actual.TryGetValue(kv.Key, out var n) || n != kv.Value)))
                {
                    throw new ModelDisagreementException($"{when}: {path} for '{_model.Purposes[p].Id}' left out {Describe(actual)}, the model {Describe(expectedReasons)}.");
                }
            }
        }

        private static string Describe(Dictionary<ConsentDecisionReason, long> reasons) =>
            "{" + string.Join(", ", reasons.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}")) + "}";

        public void Dispose() => Provider.Dispose();
    }
}

/// <summary>A path answered differently from the reference model.</summary>
internal sealed class ModelDisagreementException(string message) : Exception(message);

/// <summary>Paths a test project adds to the model's checks (for example snapshot files read back by an engine).</summary>
/// <param name="Configure">Registers what the paths need (the store the scenario runs on is given).</param>
/// <param name="AllowedReaders">Each path by name: the subjects it allows for a purpose.</param>
internal sealed record ModelExtraPaths(
    Action<IConsentKitBuilder, IConsentStore> Configure,
    IReadOnlyList<(string Name, Func<IServiceProvider, string, Task<IReadOnlyCollection<string>>> Read)> AllowedReaders);
