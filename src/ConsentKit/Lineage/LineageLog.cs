using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ConsentKit;

/// <summary>
/// Lineage in the proof log: the payloads of <see cref="ConsentProofEntryKind.ArtifactRecorded"/> and
/// <see cref="ConsentProofEntryKind.ArtifactEvent"/> (layout in docs/history-proof.md), and the checks every
/// artifact and event passes before it is written.
/// </summary>
internal static class LineageLog
{
    public const int MaxIdLength = 128;
    public const int MaxNameLength = 256;
    public const int MaxNoteLength = 2048;
    public const int MaxInputs = 4096;

    /// <summary>
    /// <c>id (text16) ‖ version (text16) ‖ kind (text16) ‖ owner (text16) ‖ built at, UTC ticks (int64) ‖
    /// input count (int32) ‖ per input: kind (u8) ‖ id (text16)</c>.
    /// </summary>
    public static byte[] ArtifactPayload(NewArtifact artifact)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        ConsentChain.WriteText16(buffer, artifact.Id);
        ConsentChain.WriteText16(buffer, artifact.Version);
        ConsentChain.WriteText16(buffer, artifact.Kind);
        ConsentChain.WriteText16(buffer, artifact.Owner);
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), artifact.BuiltAt.UtcTicks);
        buffer.Advance(8);
        BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), artifact.Inputs.Count);
        buffer.Advance(4);
        foreach (var input in artifact.Inputs)
        {
            buffer.GetSpan(1)[0] = (byte)input.Kind;
            buffer.Advance(1);
            ConsentChain.WriteText16(buffer, input.Id);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>kind (u8) ‖ artifact id (text16, empty for none) ‖ deployment id (text16, empty for none) ‖ at, UTC ticks (int64) ‖ by (text16) ‖ note (text32)</c>.</summary>
    public static byte[] EventPayload(ArtifactEventKind kind, string? artifactId, string? deploymentId, DateTimeOffset at, string by, string note)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        buffer.GetSpan(1)[0] = (byte)kind;
        buffer.Advance(1);
        ConsentChain.WriteText16(buffer, artifactId ?? string.Empty);
        ConsentChain.WriteText16(buffer, deploymentId ?? string.Empty);
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), at.UtcTicks);
        buffer.Advance(8);
        ConsentChain.WriteText16(buffer, by);
        ConsentChain.WriteText32(buffer, note);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The artifact an <see cref="ConsentProofEntryKind.ArtifactRecorded"/> entry records.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The payload is not a whole artifact.</exception>
    /// <exception cref="DecoderFallbackException">A text is not UTF-8.</exception>
    public static ModelArtifact ReadArtifact(ConsentProofEntry entry)
    {
        var reader = new ProofPayloadReader(entry.Payload.Span);
        var id = reader.Text16();
        var version = reader.Text16();
        var kind = reader.Text16();
        var owner = reader.Text16();
        var builtAt = new DateTimeOffset(reader.Int64(), TimeSpan.Zero);
        var count = reader.Int32();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxInputs);
        var inputs = new ArtifactInput[count];
        for (var i = 0; i < count; i++)
        {
            var inputKind = (ArtifactInputKind)reader.Byte();
            ArgumentOutOfRangeException.ThrowIfLessThan((int)inputKind, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan((int)inputKind, 2);
            inputs[i] = new ArtifactInput { Kind = inputKind, Id = reader.Text16() };
        }

        ArgumentOutOfRangeException.ThrowIfNotEqual(reader.AtEnd, true);
        return new ModelArtifact { Id = id, Version = version, Kind = kind, Owner = owner, BuiltAt = builtAt, Inputs = inputs, LogSequence = entry.Sequence };
    }

    /// <summary>The event an <see cref="ConsentProofEntryKind.ArtifactEvent"/> entry records.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The payload is not a whole event.</exception>
    /// <exception cref="DecoderFallbackException">A text is not UTF-8.</exception>
    public static ArtifactEvent ReadEvent(ConsentProofEntry entry)
    {
        var reader = new ProofPayloadReader(entry.Payload.Span);
        var kind = (ArtifactEventKind)reader.Byte();
        ArgumentOutOfRangeException.ThrowIfLessThan((int)kind, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((int)kind, 4);
        var artifactId = reader.Text16();
        var deploymentId = reader.Text16();
        var at = new DateTimeOffset(reader.Int64(), TimeSpan.Zero);
        var by = reader.Text16();
        var note = reader.Text32();
        ArgumentOutOfRangeException.ThrowIfNotEqual(reader.AtEnd, true);
        return new ArtifactEvent
        {
            Kind = kind,
            ArtifactId = artifactId.Length == 0 ? null : artifactId,
            DeploymentId = deploymentId.Length == 0 ? null : deploymentId,
            At = at,
            By = by,
            Note = note,
            LogSequence = entry.Sequence,
        };
    }

    /// <summary>Throws naming the field unless the artifact is well formed (inputs are checked against the lineage by the caller).</summary>
    public static void Validate(NewArtifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        CheckId(artifact.Id, "artifact.Id");
        CheckName(artifact.Version, "artifact.Version");
        CheckName(artifact.Kind, "artifact.Kind");
        CheckName(artifact.Owner, "artifact.Owner");
        if (artifact.Inputs is null || artifact.Inputs.Count == 0 || artifact.Inputs.Count > MaxInputs)
        {
            throw new ArgumentException($"An artifact is built from 1 to {MaxInputs} inputs (data uses or artifacts).", "artifact.Inputs");
        }

        var seen = new HashSet<(ArtifactInputKind, string)>();
        foreach (var input in artifact.Inputs)
        {
            if (input is null || input.Kind is not (ArtifactInputKind.DataUse or ArtifactInputKind.Artifact))
            {
                throw new ArgumentException("Each input is a data use or an artifact.", "artifact.Inputs");
            }

            CheckId(input.Id, "artifact.Inputs");
            if (!seen.Add((input.Kind, input.Id)))
            {
                throw new ArgumentException($"The {input} is named twice.", "artifact.Inputs");
            }

            if (input.Kind == ArtifactInputKind.Artifact && input.Id == artifact.Id)
            {
                throw new ArgumentException($"Artifact '{artifact.Id}' cannot be built from itself: lineage is a graph without cycles.", "artifact.Inputs");
            }
        }
    }

    public static void CheckId(string? id, string field)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxIdLength || id.Any(char.IsControl))
        {
            throw new ArgumentException($"An id is 1 to {MaxIdLength} characters without control characters.", field);
        }
    }

    public static void CheckName(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxNameLength || text.Any(char.IsControl))
        {
            throw new ArgumentException($"This is 1 to {MaxNameLength} characters without control characters.", field);
        }
    }

    public static void CheckNote(string? note, string field)
    {
        if (note is not null && (note.Length > MaxNoteLength || note.Any(c => char.IsControl(c) && c is not '\n')))
        {
            throw new ArgumentException($"A note is at most {MaxNoteLength} characters, without control characters other than line breaks.", field);
        }
    }
}
