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
}
