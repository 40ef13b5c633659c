namespace ConsentKit;

/// <summary>Limits and checks on the fields of a consent record, shared by every way a record is made.</summary>
public static class ConsentRecordRules
{
    /// <summary>The longest subject id accepted.</summary>
    public const int MaxSubjectIdLength = 256;

    /// <summary>The longest notice version accepted.</summary>
    public const int MaxNoticeVersionLength = 64;

    /// <summary>The longest source accepted.</summary>
    public const int MaxSourceLength = 64;

    /// <summary>The most metadata entries accepted.</summary>
    public const int MaxMetadataEntries = 16;

    /// <summary>The longest metadata key accepted.</summary>
    public const int MaxMetadataKeyLength = 64;

    /// <summary>The longest metadata value accepted.</summary>
    public const int MaxMetadataValueLength = 512;

    /// <summary>
    /// Throws unless <paramref name="subjectId"/> is a usable subject id: not empty or white space,
    /// at most <see cref="MaxSubjectIdLength"/> characters, no control characters.
    /// </summary>
    /// <param name="subjectId">The subject id.</param>
    /// <param name="paramName">The name reported in the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="subjectId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The id is empty, white space, too long or has control characters.</exception>
    public static void ValidateSubjectId(string? subjectId, string paramName = "subjectId")
    {
        ArgumentNullException.ThrowIfNull(subjectId, paramName);
        if (!IsValidSubjectId(subjectId))
        {
            throw new ArgumentException(DescribeSubjectIdProblem(subjectId), paramName);
        }
    }

    /// <summary>Whether <paramref name="subjectId"/> passes <see cref="ValidateSubjectId"/>.</summary>
    /// <param name="subjectId">The subject id.</param>
    public static bool IsValidSubjectId(string? subjectId) =>
        !string.IsNullOrWhiteSpace(subjectId)
        && subjectId.Length <= MaxSubjectIdLength
        && !HasControlCharacter(subjectId);

    internal static void ValidateNoticeVersion(string? noticeVersion, string paramName)
    {
        ArgumentNullException.ThrowIfNull(noticeVersion, paramName);
        ValidateText(noticeVersion, MaxNoticeVersionLength, paramName, "The notice version");
    }

    internal static void ValidateSource(string? source, string paramName)
    {
        if (source is not null)
        {
            ValidateText(source, MaxSourceLength, paramName, "The source");
        }
    }

    internal static void ValidateMetadata(IReadOnlyDictionary<string, string>? metadata, string paramName)
    {
        if (metadata is null)
        {
            return;
        }

        if (metadata.Count > MaxMetadataEntries)
        {
            throw new ArgumentException($"Metadata holds {metadata.Count} entries; at most {MaxMetadataEntries} are accepted.", paramName);
        }

        foreach (var (key, value) in metadata)
        {
            ValidateText(key, MaxMetadataKeyLength, paramName, "A metadata key");
            if (value is null)
            {
                throw new ArgumentException($"The metadata value for '{key}' is null.", paramName);
            }

            if (value.Length > MaxMetadataValueLength || HasControlCharacter(value))
            {
                throw new ArgumentException(
                    $"The metadata value for '{key}' must be at most {MaxMetadataValueLength} characters without control characters.", paramName);
            }
        }
    }

    private static void ValidateText(string value, int maxLength, string paramName, string what)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength || HasControlCharacter(value))
        {
            throw new ArgumentException($"{what} must be 1 to {maxLength} characters, not only white space, without control characters.", paramName);
        }
    }

    private static string DescribeSubjectIdProblem(string subjectId) =>
        string.IsNullOrWhiteSpace(subjectId) ? "The subject id must not be empty or white space."
        : subjectId.Length > MaxSubjectIdLength ? $"The subject id is {subjectId.Length} characters long; at most {MaxSubjectIdLength} are accepted."
        : "The subject id must not contain control characters.";

    private static bool HasControlCharacter(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
