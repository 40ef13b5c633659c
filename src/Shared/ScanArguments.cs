namespace ConsentKit.Storage;

/// <summary>The purposes a <see cref="IConsentStore.ScanCurrentAsync"/> call names, checked one way for both SQL stores.</summary>
internal static class ScanArguments
{
    /// <summary>The distinct purposes.</summary>
    /// <exception cref="ArgumentException">None is named, or one is <see langword="null"/>.</exception>
    public static string[] Purposes(IReadOnlyCollection<string> purposeIds)
    {
        ArgumentNullException.ThrowIfNull(purposeIds);
        if (purposeIds.Count == 0 || purposeIds.Any(p => p is null))
        {
            throw new ArgumentException("Name at least one purpose, and no null.", nameof(purposeIds));
        }

        return purposeIds.Distinct(StringComparer.Ordinal).ToArray();
    }
}
