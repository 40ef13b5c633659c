namespace ConsentKit.Snapshots;

/// <summary>The file format of a consent snapshot.</summary>
public enum ConsentSnapshotFormat
{
    /// <summary>
    /// Parquet: columns <c>subject_id</c> (string) and <c>consent_sequence</c> (int64); the <c>consentkit.*</c>
    /// values in the file's key-value metadata. The default.
    /// </summary>
    Parquet = 0,

    /// <summary>
    /// CSV (RFC 4180, UTF-8): the <c>consentkit.*</c> values as leading <c># key=value</c> comment lines, then
    /// the header <c>subject_id,consent_sequence</c> and one row per subject, quoted where an id holds a comma
    /// or a quote. Read it with the dialect stated, not sniffed — in DuckDB
    /// <c>read_csv('…', auto_detect = false, comment = '#', header = true, delim = ',', quote = '"', escape = '"',
    /// columns = {'subject_id': 'VARCHAR', 'consent_sequence': 'BIGINT'})</c>, in Spark
    /// <c>option("comment", "#").option("header", "true").option("escape", "\"")</c>.
    /// </summary>
    Csv = 1,
}
