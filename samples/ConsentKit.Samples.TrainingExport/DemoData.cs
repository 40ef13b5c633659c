using ConsentKit.Storage;

namespace ConsentKit.Samples.TrainingExport;

/// <summary>A member's post.</summary>
internal sealed record Post(string Id, string AuthorId, string Text);

/// <summary>The seeded population: who chose what, and what they wrote. Deterministic, so every run sees the same posts.</summary>
internal static class DemoData
{
    /// <summary>The notice version members see today; some granted under version 1 before it changed.</summary>
    public const string CurrentNotice = "2";

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);

    private static readonly string[] Topics = ["hiring", "remote work", "a product launch", "a conference talk", "mentoring", "a new role", "open source", "team culture"];

    /// <summary>What a member chose, assigned round-robin so every kind is present in any population.</summary>
    public enum Choice
    {
        Granted,
        Refused,
        Withdrawn,
        NeverSet,
        Expired,
        OutdatedNotice,
    }

    public static string PersonId(int index) => $"member-{index:D5}";

    public static Choice ChoiceOf(int index) => (index % 10) switch
    {
        0 or 1 or 2 => Choice.Granted,
        3 or 4 => Choice.NeverSet,
        5 => Choice.Refused,
        6 or 7 => Choice.Withdrawn,
        8 => Choice.Expired,
        _ => Choice.OutdatedNotice,
    };

    /// <summary>The consent history each member has, recorded over the past two years.</summary>
    public static IEnumerable<NewConsentRecord> History(int people, DateTimeOffset now)
    {
        for (var i = 0; i < people; i++)
        {
            var subject = PersonId(i);
            switch (ChoiceOf(i))
            {
                case Choice.Granted:
                    yield return Grant(subject, now.AddDays(-30), CurrentNotice);
                    break;
                case Choice.Refused:
                    yield return new NewConsentRecord(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Refused, CurrentNotice, now.AddDays(-20), null, ConsentMethod.SubjectUserInterface, "settings-page");
                    break;
                case Choice.Withdrawn:
                    yield return Grant(subject, now.AddDays(-90), CurrentNotice);
                    yield return new NewConsentRecord(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Withdrawn, CurrentNotice, now.AddDays(-10), null, ConsentMethod.SubjectUserInterface, "settings-page");
                    break;
                case Choice.Expired:
                    yield return Grant(subject, now.AddDays(-400), CurrentNotice);
                    break;
                case Choice.OutdatedNotice:
                    yield return Grant(subject, now.AddDays(-200), "1");
                    break;
            }
        }
    }

    public static IEnumerable<Post> Posts(int people, int postsPerPerson)
    {
        var random = new Random(42);
        for (var p = 0; p < postsPerPerson; p++)
        {
            for (var i = 0; i < people; i++)
            {
                var topic = Topics[random.Next(Topics.Length)];
                yield return new Post($"post-{i:D5}-{p}", PersonId(i), $"Some thoughts on {topic}, part {p + 1}.");
            }
        }
    }

    private static NewConsentRecord Grant(string subject, DateTimeOffset at, string notice) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, ConsentStatus.Granted, notice, at, at + Lifetime, ConsentMethod.SubjectUserInterface, "settings-page");
}
