namespace ConsentKit.Benchmarks;

/// <summary>The consent history the store and pipeline benchmarks share.</summary>
internal static class BenchmarkData
{
    /// <summary>
    /// Every other member opted in to generative-AI training; every tenth of those (members 0, 20, 40, …)
    /// withdrew later: for n members, n/2 + n/20 records and 0.45 n allowed.
    /// </summary>
    public static List<NewConsentRecord> HalfOptedInATenthWithdrew(IReadOnlyList<string> members, DateTimeOffset at, string? source = null)
    {
        var history = new List<NewConsentRecord>();
        for (var i = 0; i < members.Count; i += 2)
        {
            history.Add(Record(members[i], ConsentStatus.Granted, at, source));
            if (i % 20 == 0)
            {
                history.Add(Record(members[i], ConsentStatus.Withdrawn, at, source));
            }
        }

        return history;
    }

    private static NewConsentRecord Record(string subject, ConsentStatus status, DateTimeOffset at, string? source) =>
        new(subject, ConsentPurposes.GenerativeAiTraining, status, "1", at, null, ConsentMethod.SubjectUserInterface, source);
}
