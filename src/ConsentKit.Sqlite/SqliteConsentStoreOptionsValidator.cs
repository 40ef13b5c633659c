using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ConsentKit.Sqlite;

/// <summary>Checks <see cref="SqliteConsentStoreOptions"/> at start and lists every problem.</summary>
internal sealed class SqliteConsentStoreOptionsValidator : IValidateOptions<SqliteConsentStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteConsentStoreOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            problems.Add($"{nameof(SqliteConsentStoreOptions.ConnectionString)} is required, e.g. 'Data Source=consent.db'.");
        }
        else
        {
            try
            {
                var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
                if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:")
                {
                    problems.Add($"{nameof(SqliteConsentStoreOptions.ConnectionString)} must name a database file ('Data Source=path'); an in-memory database would lose every record.");
                }
            }
            catch (ArgumentException ex)
            {
                problems.Add($"{nameof(SqliteConsentStoreOptions.ConnectionString)} is not a valid SQLite connection string: {ex.Message}");
            }
        }

        // The busy timeout becomes whole seconds of DefaultTimeout and milliseconds of busy_timeout.
        if (options.BusyTimeout <= TimeSpan.Zero || options.BusyTimeout > TimeSpan.FromDays(1))
        {
            problems.Add($"{nameof(SqliteConsentStoreOptions.BusyTimeout)} must be positive and at most one day.");
        }

        if (options.BulkReadChunkSize is < 1 or > 1_000_000)
        {
            problems.Add($"{nameof(SqliteConsentStoreOptions.BulkReadChunkSize)} must be between 1 and 1,000,000.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
