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
