namespace ConsentKit.Storage;

/// <summary>Argument checks and limits shared by every <see cref="IConsentRelayStore"/>, so each store refuses alike.</summary>
public static class RelayStoreRules
{
    /// <summary>The longest subscription name.</summary>
    public const int LongestName = 64;

    /// <summary>The longest holder id.</summary>
    public const int LongestHolder = 200;

    /// <summary>Errors are cut to this many characters.</summary>
    public const int LongestError = 2000;

    /// <summary>Whether <paramref name="name"/> is a subscription name: 1–64 of <c>a-z 0-9 - _ .</c>, starting with a letter or digit.</summary>
    /// <param name="name">The name.</param>
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= LongestName } && char.IsAsciiLetterLower(name[0]) | char.IsAsciiDigit(name[0])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.');

    /// <summary>Throws unless the name is valid.</summary>
    /// <param name="subscription">The name.</param>
    public static void CheckName(string subscription)
    {
        if (!IsValidName(subscription))
        {
            throw new ArgumentException($"'{subscription}' is not a subscription name: 1 to {LongestName} of a-z, 0-9, '-', '_', '.', starting with a letter or digit.", nameof(subscription));
        }
    }

    /// <summary>Throws unless the holder id is 1–200 characters.</summary>
    /// <param name="holder">The holder.</param>
    public static void CheckHolder(string holder)
    {
        if (string.IsNullOrWhiteSpace(holder) || holder.Length > LongestHolder)
        {
            throw new ArgumentException($"A lease holder is 1 to {LongestHolder} characters.", nameof(holder));
        }
    }

    /// <summary>The error as kept: at most <see cref="LongestError"/> characters.</summary>
    /// <param name="error">The error.</param>
    public static string Cut(string error) => error.Length <= LongestError ? error : error[..(LongestError - 1)] + "…";

    /// <summary>Throws unless the letter is well formed.</summary>
    /// <param name="letter">The letter.</param>
    public static void CheckLetter(RelayDeadLetter letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        CheckName(letter.Subscription);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(letter.Sequence, "letter.Sequence");
        ArgumentException.ThrowIfNullOrEmpty(letter.Error, "letter.Error");
    }
}
