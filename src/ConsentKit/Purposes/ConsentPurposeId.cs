namespace ConsentKit;

/// <summary>Rules for purpose ids.</summary>
public static class ConsentPurposeId
{
    /// <summary>The longest purpose id accepted.</summary>
    public const int MaxLength = 128;

    /// <summary>
    /// Whether <paramref name="id"/> is a well-formed purpose id: lowercase <c>[a-z0-9]</c> words
    /// joined by <c>-</c>, levels separated by <c>.</c>, at most <see cref="MaxLength"/> characters.
    /// </summary>
    /// <param name="id">The candidate id.</param>
    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
        {
            return false;
        }

        // Walk the id once: a separator ('-' or '.') must sit between two alphanumerics.
        var previousWasSeparator = true;
        foreach (var c in id)
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                previousWasSeparator = false;
            }
            else if (c is '-' or '.')
            {
                if (previousWasSeparator)
                {
                    return false;
                }

                previousWasSeparator = true;
            }
            else
            {
                return false;
            }
        }

        return !previousWasSeparator;
    }

    /// <summary>
    /// Whether <paramref name="purposeId"/> is <paramref name="ancestorId"/> or one of its descendants
    /// (<c>ai-training.generative</c> is within <c>ai-training</c>; <c>ai-trainingx</c> is not).
    /// </summary>
    /// <param name="purposeId">The purpose id to test.</param>
    /// <param name="ancestorId">The purpose id that may contain it.</param>
    public static bool IsSelfOrDescendant(string purposeId, string ancestorId)
    {
        ArgumentNullException.ThrowIfNull(purposeId);
        ArgumentNullException.ThrowIfNull(ancestorId);
        return purposeId.Length == ancestorId.Length
            ? string.Equals(purposeId, ancestorId, StringComparison.Ordinal)
            : purposeId.Length > ancestorId.Length
                && purposeId[ancestorId.Length] == '.'
                && purposeId.StartsWith(ancestorId, StringComparison.Ordinal);
    }

    /// <summary>The parent id of <paramref name="id"/> (<c>a.b</c> → <c>a</c>), or <see langword="null"/> at the top level.</summary>
    /// <param name="id">A purpose id.</param>
    public static string? GetParent(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var dot = id.LastIndexOf('.');
        return dot <= 0 ? null : id[..dot];
    }
}
