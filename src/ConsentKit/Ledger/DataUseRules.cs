namespace ConsentKit;

/// <summary>Checks shared by every ledger implementation.</summary>
public static class DataUseRules
{
    /// <summary>The longest data use id accepted.</summary>
    public const int MaxIdLength = 128;

    /// <summary>The longest description accepted.</summary>
    public const int MaxDescriptionLength = 512;

    /// <summary>Throws unless <paramref name="dataUse"/> is well formed.</summary>
    /// <param name="dataUse">The data use.</param>
    public static void Validate(NewDataUse dataUse)
    {
        ArgumentNullException.ThrowIfNull(dataUse);
        if (string.IsNullOrWhiteSpace(dataUse.Id) || dataUse.Id.Length > MaxIdLength || dataUse.Id.Any(char.IsControl))
        {
            throw new ArgumentException($"A data use id must be 1 to {MaxIdLength} characters without control characters.", "dataUse.Id");
        }

        if (!ConsentPurposeId.IsValid(dataUse.PurposeId))
        {
            throw new ArgumentException($"'{dataUse.PurposeId}' is not a valid purpose id.", "dataUse.PurposeId");
        }

        if (string.IsNullOrWhiteSpace(dataUse.Description) || dataUse.Description.Length > MaxDescriptionLength || dataUse.Description.Any(char.IsControl))
        {
            throw new ArgumentException($"A data use description must be 1 to {MaxDescriptionLength} characters without control characters.", "dataUse.Description");
        }
    }

    /// <summary>Whether a use for <paramref name="usePurposeId"/> is affected by a record about <paramref name="recordPurposeId"/>: the same purpose or a descendant.</summary>
    /// <param name="usePurposeId">The data use's purpose.</param>
    /// <param name="recordPurposeId">The withdrawn or refused purpose.</param>
    public static bool IsAffectedPurpose(string usePurposeId, string recordPurposeId)
    {
        ArgumentNullException.ThrowIfNull(usePurposeId);
        ArgumentNullException.ThrowIfNull(recordPurposeId);
        return usePurposeId == recordPurposeId
            || (usePurposeId.Length > recordPurposeId.Length
                && usePurposeId.StartsWith(recordPurposeId, StringComparison.Ordinal)
                && usePurposeId[recordPurposeId.Length] == '.');
    }
}
