using System.Runtime.CompilerServices;
using ConsentKit.Testing;
using FluentAssertions;

namespace ConsentKit.Tests;

/// <summary>
/// The verifier's current-state and registry checks, which keep one packed entry per pair and per person:
/// a row seen twice, a row for a pair with no records, and a pair with no row are each named.
/// </summary>
public sealed class HistoryVerifierIndexTests
{
    [Fact]
    public async Task ManyPeopleAndPurposes_Verify()
    {
        var store = await SeedAsync(people: 300);

        var result = await new ConsentHistoryVerifier(store).VerifyAsync(cancellationToken: TestContext.Current.CancellationToken);

        result.IsValid.Should().BeTrue(result.Message);
        result.RecordsChecked.Should().Be(300 * 2 + 100);
    }

    [Fact]
    public async Task ACurrentStateRowListedTwice_IsNamed()
    {
        var store = await SeedAsync(people: 3);
        var wrapped = new IndexRewritingStore(store, rows => [.. rows, rows[^1]]);

        var result = await new ConsentHistoryVerifier(wrapped).VerifyAsync(cancellationToken: TestContext.Current.CancellationToken);

        result.Problem.Should().Be(ConsentVerificationProblem.CurrentStateDisagrees);
        result.Message.Should().Contain("twice");
    }

    [Fact]
    public async Task ACurrentStateRowLeftOut_IsNamed_ByTheEarliestRecordWithoutOne()
    {
        var store = await SeedAsync(people: 3);
        var dropped = (await ToListAsync(store.GetCurrentStateAsync(TestContext.Current.CancellationToken))).Select(r => r.Sequence).Order().Take(2).ToList();
        var wrapped = new IndexRewritingStore(store, all => [.. all.Where(r => !dropped.Contains(r.Sequence))]);

        var result = await new ConsentHistoryVerifier(wrapped).VerifyAsync(cancellationToken: TestContext.Current.CancellationToken);

        result.Problem.Should().Be(ConsentVerificationProblem.CurrentStateDisagrees);
        result.FirstBadSequence.Should().Be(dropped[0]);
        result.Message.Should().Contain("and 1 more");
    }

    [Fact]
    public async Task ACurrentStateRowForAPurposeWithNoRecords_IsNamed()
    {
        var store = await SeedAsync(people: 3);
        var wrapped = new IndexRewritingStore(store, rows => [.. rows, rows[0] with { PurposeId = "never-recorded" }]);

        var result = await new ConsentHistoryVerifier(wrapped).VerifyAsync(cancellationToken: TestContext.Current.CancellationToken);

        result.Problem.Should().Be(ConsentVerificationProblem.CurrentStateDisagrees);
        result.Message.Should().Contain("'never-recorded'").And.Contain("has no records");
    }

    [Fact]
    public async Task ARegistryRowListedTwice_IsNamed_ByItsFirstRecord()
    {
        var store = await SeedAsync(people: 3);
        var wrapped = new IndexRewritingStore(store, rows => rows) { DuplicateRegistryRow = true };

        var result = await new ConsentHistoryVerifier(wrapped).VerifyAsync(cancellationToken: TestContext.Current.CancellationToken);

        result.Problem.Should().Be(ConsentVerificationProblem.SubjectRegistryChanged);
        result.Message.Should().Contain("twice");
        result.FirstBadSequence.Should().BeGreaterThan(0);
    }

    // Every person grants two purposes; every third then withdraws one, so pairs have one or two records.
    private static async Task<InMemoryConsentStore> SeedAsync(int people)
    {
        var store = new InMemoryConsentStore();
        var at = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var batch = new List<NewConsentRecord>();
        for (var i = 0; i < people; i++)
        {
            foreach (var purpose in new[] { ConsentPurposes.GenerativeAiTraining, ConsentPurposes.Analytics })
            {
                batch.Add(Record($"p{i}", purpose, ConsentStatus.Granted, at));
            }
        }

        for (var i = 0; i < people; i += 3)
        {
            batch.Add(Record($"p{i}", ConsentPurposes.Analytics, ConsentStatus.Withdrawn, at.AddMinutes(1)));
        }

        await store.AppendManyAsync(batch);
        return store;
    }

    private static NewConsentRecord Record(string subject, string purpose, ConsentStatus status, DateTimeOffset at) =>
        new(subject, purpose, status, "1", at, expiresAt: null, ConsentMethod.SubjectUserInterface, "test");

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>What someone with write access could make the index and registry read back as.</summary>
    private sealed class IndexRewritingStore(IConsentStore inner, Func<List<ConsentCurrentPointer>, List<ConsentCurrentPointer>> rewrite)
        : DelegatingConsentStore(inner)
    {
        public bool DuplicateRegistryRow { get; init; }

        public override async IAsyncEnumerable<ConsentCurrentPointer> GetCurrentStateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var row in rewrite(await ToListAsync(Inner.GetCurrentStateAsync(cancellationToken))))
            {
                yield return row;
            }
        }

        public override async IAsyncEnumerable<ConsentSubjectRegistration> GetSubjectRegistryAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var rows = await ToListAsync(Inner.GetSubjectRegistryAsync(cancellationToken));
            foreach (var row in DuplicateRegistryRow ? [.. rows, rows[1]] : rows)
            {
                yield return row;
            }
        }
    }
}
