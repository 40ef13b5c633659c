using System.Globalization;

namespace ConsentKit.Import;

/// <summary>
/// Checks one row and makes its record: the purpose registered, a grant the person's own act under a notice the store
/// keeps, times with an offset and not in the future. Everything else <see cref="NewConsentRecord"/> checks itself.
/// </summary>
internal sealed class ImportRowParser(ConsentPurposeCatalog catalog, IReadOnlySet<(string Purpose, string Version)> keptNotices, DateTimeOffset now, string defaultSource)
{
    // An export's clock may run a little ahead of this one; more than this is a mistake, not skew.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private static readonly Dictionary<string, ConsentStatus> Statuses = new(StringComparer.OrdinalIgnoreCase)
    {
        ["granted"] = ConsentStatus.Granted,
        ["refused"] = ConsentStatus.Refused,
        ["withdrawn"] = ConsentStatus.Withdrawn,
    };

    private static readonly Dictionary<string, ConsentMethod> Methods = new(StringComparer.OrdinalIgnoreCase)
    {
        ["subject-user-interface"] = ConsentMethod.SubjectUserInterface,
        ["subject-api-call"] = ConsentMethod.SubjectApiCall,
        ["privacy-signal"] = ConsentMethod.PrivacySignal,
        ["operator"] = ConsentMethod.Operator,
        ["import"] = ConsentMethod.Import,
    };

    /// <summary>The row's record, or <see langword="null"/> with the problem.</summary>
    public NewConsentRecord? Parse(ImportRow row, out ConsentImportProblem? problem)
    {
        problem = row.ReadProblem;
        if (problem is not null)
        {
            return null;
        }

        var fields = row.Fields;
        string? Missing(int field) => fields[field] is null ? $"{ImportFields.Names[field]} is required." : null;
        foreach (var required in new[] { ImportFields.SubjectId, ImportFields.PurposeId, ImportFields.Status, ImportFields.NoticeVersion, ImportFields.RecordedAt })
        {
            if (Missing(required) is { } message)
            {
                problem = new(row.Line, ImportFields.Names[required], message);
                return null;
            }
        }

        var purposeId = fields[ImportFields.PurposeId]!;
        if (!catalog.TryGetPurpose(purposeId, out _))
        {
            problem = new(row.Line, "purpose_id", $"'{purposeId}' is not a registered purpose: the gate would deny it (unknown purpose), so it is not imported.");
            return null;
        }

        if (!Statuses.TryGetValue(fields[ImportFields.Status]!, out var status))
        {
            problem = new(row.Line, "status", $"'{fields[ImportFields.Status]}' is not a status: use granted, refused or withdrawn.");
            return null;
        }

        var method = ConsentMethod.Import;
        if (fields[ImportFields.Method] is { } methodText && !Methods.TryGetValue(methodText, out method))
        {
            problem = new(row.Line, "method", $"'{methodText}' is not a method: use {string.Join(", ", Methods.Keys)}.");
            return null;
        }

        if (status == ConsentStatus.Granted && !method.IsExplicitSubjectAct())
        {
            problem = new(row.Line, "method", fields[ImportFields.Method] is null
                ? "A grant must say the person gave it themselves: method subject-user-interface or subject-api-call."
                : $"A grant must be the person's own act (subject-user-interface or subject-api-call), not '{fields[ImportFields.Method]}'.");
            return null;
        }

        var noticeVersion = fields[ImportFields.NoticeVersion]!;
        if (status == ConsentStatus.Granted && !keptNotices.Contains((purposeId, noticeVersion)))
        {
            problem = new(row.Line, "notice_version", $"The store keeps no notice '{noticeVersion}' for '{purposeId}': a grant must name the notice the person saw, and that notice must be kept first.");
            return null;
        }

        if (!TryParseTime(fields[ImportFields.RecordedAt]!, out var recordedAt))
        {
            problem = new(row.Line, "recorded_at", $"'{fields[ImportFields.RecordedAt]}' is not an ISO 8601 time with an offset (e.g. 2026-03-01T12:00:00Z).");
            return null;
        }

        if (recordedAt > now + ClockSkew)
        {
            problem = new(row.Line, "recorded_at", $"{fields[ImportFields.RecordedAt]} is in the future.");
            return null;
        }

        DateTimeOffset? expiresAt = null;
        if (fields[ImportFields.ExpiresAt] is { } expiresText)
        {
            if (!TryParseTime(expiresText, out var expiry))
            {
                problem = new(row.Line, "expires_at", $"'{expiresText}' is not an ISO 8601 time with an offset (e.g. 2027-03-01T12:00:00Z).");
                return null;
            }

            expiresAt = expiry;
        }

        try
        {
            return new NewConsentRecord(
                fields[ImportFields.SubjectId]!, purposeId, status, noticeVersion, recordedAt, expiresAt, method, fields[ImportFields.Source] ?? defaultSource, row.Metadata);
        }
        catch (ArgumentException ex)
        {
            problem = new(row.Line, FieldOf(ex.ParamName), ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message);
            return null;
        }
    }

    private static string FieldOf(string? parameter) => parameter switch
    {
        "subjectId" => "subject_id",
        "noticeVersion" => "notice_version",
        "expiresAt" => "expires_at",
        "source" => "source",
        "metadata" => "metadata",
        _ => parameter ?? "row",
    };

    private static bool TryParseTime(string text, out DateTimeOffset value)
    {
        // An offset is required: a bare local time would be read in this machine's zone, not the exporter's.
        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^3] == ':' && text[^6] is '+' or '-');
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value) & hasOffset && text.Contains('T', StringComparison.Ordinal);
    }
}
