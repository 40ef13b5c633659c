namespace ConsentKit;

/// <summary>How one consent-filtered run behaves.</summary>
public sealed class ConsentFilterOptions
{
    /// <summary>How many items are read ahead and looked up together (one bulk store read per batch). Default 4,096.</summary>
    public int BatchSize { get; set; } = 4_096;

    /// <summary>
    /// When set, the run is recorded in the data-use ledger under this description (for example
    /// "genai-model-v7 training set"): every subject whose data is let through, with the grant that
    /// allowed it. <see langword="null"/> (the default) records nothing.
    /// </summary>
    public string? DataUseDescription { get; set; }

    /// <summary>The data use id when recorded; a new GUID when <see langword="null"/>. Setting it without <see cref="DataUseDescription"/> is refused: it would record nothing.</summary>
    public string? DataUseId { get; set; }
}
