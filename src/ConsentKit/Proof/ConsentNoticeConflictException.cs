namespace ConsentKit;

/// <summary>
/// A purpose's notice version is already kept in the store with a different name or text. A changed
/// text needs a new notice version, so that every record keeps pointing at the words its subject saw.
/// </summary>
public sealed class ConsentNoticeConflictException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kept">The notice the store keeps.</param>
    /// <param name="offered">The notice the app has now.</param>
    public ConsentNoticeConflictException(ConsentNotice kept, ConsentNotice offered)
        : base(
            $"Purpose '{(offered ?? throw new ArgumentNullException(nameof(offered))).PurposeId}' notice version '{offered.NoticeVersion}' is already kept in the consent store " +
            "with a different display name or text. People who consented under that version saw the kept words; give the changed notice a new NoticeVersion.")
    {
        ArgumentNullException.ThrowIfNull(kept);
        Kept = kept;
        Offered = offered;
    }

    /// <summary>The notice the store keeps.</summary>
    public ConsentNotice Kept { get; }

    /// <summary>The notice the app has now.</summary>
    public ConsentNotice Offered { get; }
}
