namespace ConsentKit.Import;

/// <summary>The file formats <see cref="IConsentImporter"/> reads.</summary>
public enum ConsentImportFormat
{
    /// <summary>RFC 4180 CSV with a header row; metadata in columns named <c>metadata.&lt;key&gt;</c>.</summary>
    Csv = 1,

    /// <summary>JSON Lines: one JSON object per line; metadata as a <c>metadata</c> object of strings.</summary>
    JsonLines = 2,
}
