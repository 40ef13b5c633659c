using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ConsentKit.PostgreSql;

/// <summary>Options for <see cref="PostgreSqlConsentStore"/>. Checked when the app starts; every problem is listed.</summary>
public sealed class PostgreSqlConsentStoreOptions
{
    /// <summary>
    /// The Npgsql connection string, e.g. <c>Host=db;Database=app;Username=app;Password=…</c>. Not used
    /// when the store is given an existing <see cref="NpgsqlDataSource"/>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The schema that holds ConsentKit's tables, created if missing. Lower-case letters, digits and
    /// underscores, starting with a letter or underscore, at most 48 characters. Default <c>consentkit</c>.
    /// </summary>
    public string SchemaName { get; set; } = "consentkit";

    /// <summary>How many subject ids one bulk-read statement carries (as one array parameter). Default 50,000.</summary>
    public int BulkReadChunkSize { get; set; } = 50_000;
}

/// <summary>Checks <see cref="PostgreSqlConsentStoreOptions"/> and lists every problem.</summary>
internal sealed partial class PostgreSqlConsentStoreOptionsValidator(bool hasDataSource) : IValidateOptions<PostgreSqlConsentStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlConsentStoreOptions options)
    {
        var problems = FindProblems(options, hasDataSource);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static List<string> FindProblems(PostgreSqlConsentStoreOptions options, bool hasDataSource)
    {
        var problems = new List<string>();
        if (!hasDataSource)
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                problems.Add($"{nameof(PostgreSqlConsentStoreOptions.ConnectionString)} is required (or pass an NpgsqlDataSource to UsePostgreSqlStore).");
            }
            else
            {
                try
                {
                    var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                    if (string.IsNullOrEmpty(builder.Host))
                    {
                        problems.Add($"{nameof(PostgreSqlConsentStoreOptions.ConnectionString)} names no Host.");
                    }
                }
                catch (ArgumentException ex)
                {
                    problems.Add($"{nameof(PostgreSqlConsentStoreOptions.ConnectionString)} is not a valid Npgsql connection string: {ex.Message}");
                }
            }
        }

        if (options.SchemaName is null || !SchemaNamePattern().IsMatch(options.SchemaName))
        {
            problems.Add(
                $"{nameof(PostgreSqlConsentStoreOptions.SchemaName)} '{options.SchemaName}' must be lower-case letters, digits and underscores, " +
                "start with a letter or underscore, and be at most 48 characters.");
        }

        if (options.BulkReadChunkSize is < 1 or > 1_000_000)
        {
            problems.Add($"{nameof(PostgreSqlConsentStoreOptions.BulkReadChunkSize)} must be between 1 and 1,000,000.");
        }

        return problems;
    }

    // Spliced into SQL as an identifier (schemas cannot be parameters), hence the strict pattern.
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,47}$")]
    private static partial Regex SchemaNamePattern();
}
