using System.Buffers;
using System.Globalization;
using System.Net.Mime;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;

namespace ConsentKit.Relay;

/// <summary>
/// A consent change as a CNCF CloudEvent (1.0): type <c>dev.consentkit.consent.granted|refused|withdrawn</c>, id the
/// record's sequence, subject the person, data the record and its impact (<c>docs/schemas/consentkit-change-1.json</c>).
/// </summary>
public static class ConsentCloudEvents
{
    /// <summary>The type prefix; the status follows.</summary>
    public const string TypePrefix = "dev.consentkit.consent.";

    /// <summary>The content type of a structured-mode event.</summary>
    public const string StructuredContentType = "application/cloudevents+json; charset=utf-8";

    private static readonly JsonEventFormatter Formatter = new();

    /// <summary>The change as a CloudEvent from <paramref name="source"/>.</summary>
    /// <param name="change">The change.</param>
    /// <param name="source">The event source, e.g. <c>urn:consentkit:demo-network</c> (<see cref="ConsentRelayOptions.Source"/>).</param>
    public static CloudEvent ToCloudEvent(ConsentChange change, Uri source)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(source);
        var record = change.Record;
        return new CloudEvent
        {
            Id = change.Id,
            Source = source,
            Type = TypePrefix + Status(record.Status),
            Subject = record.SubjectId,
            Time = record.RecordedAt,
            DataContentType = "application/json",
            Data = Data(change),
        };
    }

    /// <summary>The change as one structured-mode JSON CloudEvent (UTF-8).</summary>
    /// <param name="change">The change.</param>
    /// <param name="source">The event source.</param>
    public static ReadOnlyMemory<byte> ToJson(ConsentChange change, Uri source) =>
        Formatter.EncodeStructuredModeMessage(ToCloudEvent(change, source), out _);

    /// <summary>Reads a structured-mode JSON CloudEvent back (a receiver written in .NET, or a test).</summary>
    /// <param name="json">The event.</param>
    public static CloudEvent Parse(ReadOnlyMemory<byte> json) =>
        Formatter.DecodeStructuredModeMessage(json, new ContentType("application/cloudevents+json"), null);

    private static string Status(ConsentStatus status) => status switch
    {
        ConsentStatus.Granted => "granted",
        ConsentStatus.Refused => "refused",
        _ => "withdrawn",
    };

    private static JsonElement Data(ConsentChange change)
    {
        var record = change.Record;
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("sequence", record.Sequence);
            w.WriteString("subjectId", record.SubjectId);
            w.WriteBoolean("subjectErased", record.IsSubjectErased);
            w.WriteString("purposeId", record.PurposeId);
            w.WriteString("status", Status(record.Status));
            w.WriteString("noticeVersion", record.NoticeVersion);
            w.WriteString("recordedAt", record.RecordedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            if (record.ExpiresAt is { } expires)
            {
                w.WriteString("expiresAt", expires.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            }

            w.WriteString("method", record.Method.ToString());
            w.WriteStartArray("affectedDataUses");
            foreach (var use in change.AffectedDataUses)
            {
                w.WriteStartObject();
                w.WriteString("id", use.Id);
                w.WriteString("purposeId", use.PurposeId);
                w.WriteString("description", use.Description);
                w.WriteString("startedAt", use.StartedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("affectedArtifacts");
            foreach (var holding in change.AffectedArtifacts)
            {
                w.WriteStartObject();
                w.WriteString("id", holding.Artifact.Id);
                w.WriteString("version", holding.Artifact.Version);
                w.WriteString("kind", holding.Artifact.Kind);
                w.WriteStartArray("path");
                foreach (var step in holding.Path)
                {
                    w.WriteStringValue(step);
                }

                w.WriteEndArray();
                w.WriteStartArray("deployments");
                foreach (var deployment in holding.Deployments)
                {
                    w.WriteStringValue(deployment);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
