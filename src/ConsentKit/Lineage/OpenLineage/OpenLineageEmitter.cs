using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConsentKit.OpenLineage;

/// <summary>
/// Builds OpenLineage run events for data uses and artifact builds and hands them to the transport. Delivery is at
/// most once and never fails the write it reports: the write is committed by then, so a transport failure is
/// logged and counted (<c>consentkit.openlineage.events</c>, outcome <c>failed</c>), not thrown.
/// </summary>
internal sealed class OpenLineageEmitter : IOpenLineageEmitter
{
    private const int LongestReason = 2048;

    private readonly IOpenLineageTransport _transport;
    private readonly IConsentStore _store;
    private readonly OpenLineageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConsentKitInstrumentation _instrumentation;

    public OpenLineageEmitter(
        IOpenLineageTransport transport, IConsentStore store, IOptions<OpenLineageOptions> options, TimeProvider time, ConsentKitInstrumentation instrumentation, ILogger<OpenLineageEmitter>? logger = null)
    {
        _transport = transport;
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _instrumentation = instrumentation;
    }

    /// <summary>The run id of a data use or a build: the same for all its events, in any process, so a receiver can join them.</summary>
    public static Guid RunId(string @namespace, string kind, string id)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"consentkit/openlineage/run/v1\n{@namespace}\n{kind}\n{id}"), hash);
        var bytes = hash[..16];

        // An RFC 9562 version 8 (custom) UUID: name-based, as version 5 is, over SHA-256.
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    public async ValueTask DataUseStartedAsync(DataUse use, SnapshotFacts? facts, CancellationToken cancellationToken) =>
        await EmitAsync(await DataUseEventAsync(OpenLineageEventType.Start, use.StartedAt, use, facts, subjects: null, error: null, cancellationToken), cancellationToken);

    public async ValueTask DataUseEndedAsync(DataUse use, SnapshotFacts? facts, CancellationToken cancellationToken)
    {
        var failed = use.Status == DataUseStatus.Failed;
        await EmitAsync(
            await DataUseEventAsync(
                failed ? OpenLineageEventType.Fail : OpenLineageEventType.Complete,
                use.EndedAt ?? _time.GetUtcNow(),
                use,
                facts,
                use.SubjectCount,
                failed ? use.FailureReason ?? "The data use failed." : null,
                cancellationToken),
            cancellationToken);
    }

    public async ValueTask ArtifactBuiltAsync(ModelArtifact artifact, IReadOnlyList<string> purposes, CancellationToken cancellationToken)
    {
        // ConsentKit learns of a build when it is recorded, after it finished: both transitions carry the build time.
        var head = await ChainHeadAsync(cancellationToken);
        var facet = new ConsentKitRunFacet
        {
            Purposes = purposes,
            ArtifactId = artifact.Id,
            ArtifactVersion = artifact.Version,
            ArtifactKind = artifact.Kind,
            ProofLogSequence = artifact.LogSequence,
            ConsentChainHead = head,
        };
        var start = BuildEvent(OpenLineageEventType.Start, artifact.BuiltAt, RunId(_options.Namespace, "artifact-build", artifact.Id), artifact.Id, artifact.Inputs, facet, error: null);
        await EmitAsync(start, cancellationToken);
        await EmitAsync(start with { EventType = OpenLineageEventType.Complete }, cancellationToken);
    }

    public async ValueTask ReportFailedBuildAsync(string artifactId, IReadOnlyList<ArtifactInput> inputs, DateTimeOffset startedAt, string reason, CancellationToken cancellationToken = default)
    {
        LineageLog.CheckId(artifactId, nameof(artifactId));
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (reason.Length > LongestReason)
        {
            throw new ArgumentException($"A reason has at most {LongestReason} characters.", nameof(reason));
        }

        if (inputs.Any(i => i is null))
        {
            throw new ArgumentException("An input is null.", nameof(inputs));
        }

        var head = await ChainHeadAsync(cancellationToken);
        var facet = new ConsentKitRunFacet { Purposes = [], ArtifactId = artifactId, ConsentChainHead = head };

        // A failed attempt is its own run: the build that later succeeds under the same id is another.
        var runId = RunId(_options.Namespace, "artifact-build-attempt", artifactId + "@" + startedAt.UtcTicks.ToString(CultureInfo.InvariantCulture));
        var start = BuildEvent(OpenLineageEventType.Start, startedAt, runId, artifactId, inputs, facet, error: null);
        await EmitAsync(start, cancellationToken);
        await EmitAsync(start with { EventType = OpenLineageEventType.Fail, EventTime = _time.GetUtcNow(), ErrorMessage = reason }, cancellationToken);
    }

    private async ValueTask<OpenLineageRunEvent> DataUseEventAsync(
        OpenLineageEventType type, DateTimeOffset at, DataUse use, SnapshotFacts? facts, long? subjects, string? error, CancellationToken cancellationToken) => new()
    {
        EventType = type,
        EventTime = at,
        Producer = _options.Producer,
        RunId = RunId(_options.Namespace, "data-use", use.Id),
        JobNamespace = _options.Namespace,
        JobName = "data-use/" + use.PurposeId,
        Inputs = [new OpenLineageDataset(_options.Namespace, "consent/" + use.PurposeId)],
        Outputs = [new OpenLineageDataset(_options.Namespace, "data-use/" + use.Id)],
        ConsentKit = new ConsentKitRunFacet
        {
            Purposes = [use.PurposeId],
            DataUseId = use.Id,
            SnapshotWatermark = facts?.Watermark,
            SnapshotContentSha256 = facts?.ContentSha256,
            SubjectsIncluded = subjects,
            ConsentChainHead = await ChainHeadAsync(cancellationToken),
        },
        ErrorMessage = error,
    };

    private OpenLineageRunEvent BuildEvent(
        OpenLineageEventType type, DateTimeOffset at, Guid runId, string artifactId, IReadOnlyList<ArtifactInput> inputs, ConsentKitRunFacet facet, string? error) => new()
    {
        EventType = type,
        EventTime = at,
        Producer = _options.Producer,
        RunId = runId,
        JobNamespace = _options.Namespace,
        JobName = "artifact-build/" + artifactId,
        Inputs = [.. inputs.Select(i => new OpenLineageDataset(_options.Namespace, (i.Kind == ArtifactInputKind.DataUse ? "data-use/" : "artifact/") + i.Id))],
        Outputs = [new OpenLineageDataset(_options.Namespace, "artifact/" + artifactId)],
        ConsentKit = facet,
        ErrorMessage = error,
    };

    /// <summary>The records' chain head as the store holds it now (not verified here: that is <c>consentkit verify</c>'s job).</summary>
    private async ValueTask<string> ChainHeadAsync(CancellationToken cancellationToken)
    {
        var last = await _store.GetLastSequenceAsync(cancellationToken);
        var hash = new string('0', ConsentChain.HashLength * 2);
        if (last > 0 && await _store.GetChainAsync(last - 1, 1, cancellationToken) is [var entry, ..])
        {
            last = entry.Sequence;
            hash = Convert.ToHexStringLower(entry.Hash.Span);
        }

        return new ConsentChainHead { Sequence = last, Hash = hash }.ToString();
    }

    private async ValueTask EmitAsync(OpenLineageRunEvent runEvent, CancellationToken cancellationToken)
    {
        try
        {
            await _transport.EmitAsync(runEvent, cancellationToken);
            _instrumentation.RecordOpenLineageEvent(delivered: true);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _instrumentation.RecordOpenLineageEvent(delivered: false);
            Log.OpenLineageDeliveryFailed(_logger, runEvent.EventType, runEvent.JobName, runEvent.RunId, ex);
        }
    }
}

/// <summary>What a data use's members were decided from, when it was one snapshot.</summary>
internal sealed record SnapshotFacts(long Watermark, string? ContentSha256);
