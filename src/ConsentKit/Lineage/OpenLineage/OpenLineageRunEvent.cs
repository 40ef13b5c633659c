using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ConsentKit.OpenLineage;

/// <summary>The run transitions ConsentKit reports.</summary>
public enum OpenLineageEventType
{
    /// <summary>The run started.</summary>
    Start = 1,

    /// <summary>The run finished.</summary>
    Complete = 2,

    /// <summary>The run stopped before the end.</summary>
    Fail = 3,
}

/// <summary>A dataset an OpenLineage run read or wrote, e.g. <c>consentkit</c> / <c>data-use/genai-2026-12</c>.</summary>
/// <param name="Namespace">The dataset's namespace.</param>
/// <param name="Name">Its name within the namespace.</param>
public sealed record OpenLineageDataset(string Namespace, string Name);

/// <summary>
/// One OpenLineage 2-0-2 run event (<see href="https://openlineage.io/spec/2-0-2/OpenLineage.json"/>) for a data use or
/// an artifact build, with ConsentKit's run facet. <see cref="ToJson"/> writes the event as the spec's JSON;
/// <see cref="Parse"/> reads it back.
/// </summary>
public sealed record OpenLineageRunEvent
{
    /// <summary>The spec's <c>schemaURL</c> for a run event.</summary>
    public const string SchemaUrl = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";

    /// <summary>The <c>schemaURL</c> of the standard error facet a failed run carries.</summary>
    public const string ErrorMessageFacetSchemaUrl = "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";

    /// <summary>START, COMPLETE or FAIL.</summary>
    public required OpenLineageEventType EventType { get; init; }

    /// <summary>When the transition happened.</summary>
    public required DateTimeOffset EventTime { get; init; }

    /// <summary>Who produced the event (<see cref="OpenLineageOptions.Producer"/>).</summary>
    public required Uri Producer { get; init; }

    /// <summary>The run: the same for every event of one data use or one build.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The job's namespace (<see cref="OpenLineageOptions.Namespace"/>).</summary>
    public required string JobNamespace { get; init; }

    /// <summary>The job, e.g. <c>data-use/ai-training.generative</c> or <c>artifact-build/base-model</c>.</summary>
    public required string JobName { get; init; }

    /// <summary>What the run read.</summary>
    public required IReadOnlyList<OpenLineageDataset> Inputs { get; init; }

    /// <summary>What the run wrote.</summary>
    public required IReadOnlyList<OpenLineageDataset> Outputs { get; init; }

    /// <summary>The consent behind the run.</summary>
    public required ConsentKitRunFacet ConsentKit { get; init; }

    /// <summary>Why the run failed (a FAIL event's <c>errorMessage</c> facet); otherwise <see langword="null"/>.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>The event as OpenLineage JSON, one line.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads an event <see cref="ToJson"/> wrote.</summary>
    /// <param name="json">One event.</param>
    /// <exception cref="FormatException">It is not a run event with ConsentKit's facet.</exception>
    public static OpenLineageRunEvent Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var run = root.GetProperty("run");
            var facets = run.GetProperty("facets");
            var job = root.GetProperty("job");
            return new OpenLineageRunEvent
            {
                EventType = root.GetProperty("eventType").GetString() switch
                {
                    "START" => OpenLineageEventType.Start,
                    "COMPLETE" => OpenLineageEventType.Complete,
                    "FAIL" => OpenLineageEventType.Fail,
                    var other => throw new FormatException($"'{other}' is not an event type ConsentKit emits."),
                },
                EventTime = DateTimeOffset.Parse(root.GetProperty("eventTime").GetString()!, CultureInfo.InvariantCulture),
                Producer = new Uri(root.GetProperty("producer").GetString()!, UriKind.Absolute),
                RunId = run.GetProperty("runId").GetGuid(),
                JobNamespace = job.GetProperty("namespace").GetString()!,
                JobName = job.GetProperty("name").GetString()!,
                Inputs = ReadDatasets(root.GetProperty("inputs")),
                Outputs = ReadDatasets(root.GetProperty("outputs")),
                ConsentKit = ConsentKitRunFacet.Read(facets.GetProperty(ConsentKitRunFacet.Name)),
                ErrorMessage = facets.TryGetProperty("errorMessage", out var error) ? error.GetProperty("message").GetString() : null,
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or UriFormatException)
        {
            throw new FormatException("The text is not an OpenLineage run event ConsentKit wrote: " + ex.Message, ex);
        }
    }

    private void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("eventType", EventType switch
        {
            OpenLineageEventType.Start => "START",
            OpenLineageEventType.Complete => "COMPLETE",
            _ => "FAIL",
        });
        w.WriteString("eventTime", EventTime.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        w.WriteString("producer", Producer.AbsoluteUri);
        w.WriteString("schemaURL", SchemaUrl);
        w.WriteStartObject("run");
        w.WriteString("runId", RunId.ToString("D"));
        w.WriteStartObject("facets");
        w.WritePropertyName(ConsentKitRunFacet.Name);
        ConsentKit.Write(w, Producer);
        if (ErrorMessage is not null)
        {
            w.WriteStartObject("errorMessage");
            w.WriteString("_producer", Producer.AbsoluteUri);
            w.WriteString("_schemaURL", ErrorMessageFacetSchemaUrl);
            w.WriteString("message", ErrorMessage);
            w.WriteString("programmingLanguage", "C#");
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteStartObject("job");
        w.WriteString("namespace", JobNamespace);
        w.WriteString("name", JobName);
        w.WriteEndObject();
        WriteDatasets(w, "inputs", Inputs);
        WriteDatasets(w, "outputs", Outputs);
        w.WriteEndObject();
    }

    private static void WriteDatasets(Utf8JsonWriter w, string name, IReadOnlyList<OpenLineageDataset> datasets)
    {
        w.WriteStartArray(name);
        foreach (var dataset in datasets)
        {
            w.WriteStartObject();
            w.WriteString("namespace", dataset.Namespace);
            w.WriteString("name", dataset.Name);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static List<OpenLineageDataset> ReadDatasets(JsonElement array) =>
        array.EnumerateArray().Select(d => new OpenLineageDataset(d.GetProperty("namespace").GetString()!, d.GetProperty("name").GetString()!)).ToList();

    /// <summary>Whether two events say the same (the lists compared by content).</summary>
    /// <param name="other">The other event.</param>
    public bool Equals(OpenLineageRunEvent? other) =>
        other is not null && EventType == other.EventType && EventTime == other.EventTime && Producer == other.Producer && RunId == other.RunId
        && JobNamespace == other.JobNamespace && JobName == other.JobName && Inputs.SequenceEqual(other.Inputs) && Outputs.SequenceEqual(other.Outputs)
        && ConsentKit.Equals(other.ConsentKit) && ErrorMessage == other.ErrorMessage;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(EventType, EventTime, RunId, JobName);
}
