namespace ConsentKit;

internal static class ConsentPurposeRules
{
    /// <summary>Every problem with a purpose list, each as one sentence; empty when the list is valid.</summary>
    public static List<string> FindProblems(IReadOnlyCollection<ConsentPurpose?> purposes)
    {
        var problems = new List<string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var purpose in purposes)
        {
            if (purpose is null)
            {
                problems.Add("A purpose is null.");
                continue;
            }

            if (!ConsentPurposeId.IsValid(purpose.Id))
            {
                problems.Add($"Purpose id '{purpose.Id}' is invalid: use lowercase [a-z0-9] words joined by '-', levels separated by '.', at most {ConsentPurposeId.MaxLength} characters.");
                continue;
            }

            if (!ids.Add(purpose.Id))
            {
                problems.Add($"Purpose '{purpose.Id}' is registered more than once.");
            }

            if (string.IsNullOrWhiteSpace(purpose.NoticeVersion))
            {
                problems.Add($"Purpose '{purpose.Id}' has an empty notice version.");
            }
            else if (purpose.NoticeVersion.Length > ConsentRecordRules.MaxNoticeVersionLength || purpose.NoticeVersion.Any(char.IsControl))
            {
                problems.Add($"Purpose '{purpose.Id}' has a notice version longer than {ConsentRecordRules.MaxNoticeVersionLength} characters or with control characters.");
            }

            if (string.IsNullOrWhiteSpace(purpose.DisplayName))
            {
                problems.Add($"Purpose '{purpose.Id}' has an empty display name.");
            }

            if (string.IsNullOrWhiteSpace(purpose.Description))
            {
                problems.Add($"Purpose '{purpose.Id}' has an empty description (the notice text people agree to).");
            }

            if (purpose.Lifetime is { } lifetime && lifetime <= TimeSpan.Zero)
            {
                problems.Add($"Purpose '{purpose.Id}' has a lifetime of {lifetime}; it must be positive or unset.");
            }
        }

        foreach (var purpose in purposes)
        {
            if (purpose?.ParentId is { } parentId && ConsentPurposeId.IsValid(purpose.Id) && !ids.Contains(parentId))
            {
                problems.Add($"Purpose '{purpose.Id}' needs its parent '{parentId}' to be registered.");
            }
        }

        return problems;
    }
}
