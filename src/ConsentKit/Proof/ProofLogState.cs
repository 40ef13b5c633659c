using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ConsentKit;

/// <summary>
/// What the proof log says, read back entry by entry for <see cref="ConsentHistoryVerifier"/>: which keys
/// were registered (with their commitments) and erased, and every data use with its members.
/// </summary>
internal sealed class ProofLogState
{
    /// <summary>
    /// Each registered key's commitment and entry sequence. The registry check marks a key it found in the
    /// registry by negating the sequence, so one map serves both (no second set of 10M keys).
    /// </summary>
    public Dictionary<PackedSubjectKey, (Digest32 Commitment, long Sequence)> Registered { get; } = [];

    public Dictionary<PackedSubjectKey, long> Erased { get; } = [];

    public Dictionary<string, LoggedDataUse> DataUses { get; } = new(StringComparer.Ordinal);

    /// <summary>The artifacts the log recorded, by id, with their entry's sequence.</summary>
    public Dictionary<string, long> Artifacts { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the walk started after an anchor: entries may name data uses started before it.</summary>
    public bool Partial { get; init; }

    /// <summary>Applies one entry whose hash and place were checked; a message when its payload is not what its kind says.</summary>
    public string? Apply(ConsentProofEntry entry)
    {
        try
        {
            var reader = new ProofPayloadReader(entry.Payload.Span);
            switch (entry.Kind)
            {
                case ConsentProofEntryKind.SubjectRegistered:
                {
                    var key = reader.Key();
                    var commitment = Digest32.From(reader.Bytes(ConsentChain.HashLength));
                    if (!Registered.TryAdd(key, (commitment, entry.Sequence)))
                    {
                        return $"Proof log entry {entry.Sequence} registers key {key} a second time.";
                    }

                    break;
                }

                case ConsentProofEntryKind.SubjectErased:
                {
                    var key = reader.Key();
                    reader.Int64();
                    Erased.TryAdd(key, entry.Sequence);
                    break;
                }

                case ConsentProofEntryKind.DataUseStarted:
                {
                    var id = reader.Text16();
                    var use = new LoggedDataUse(id, entry.Sequence)
                    {
                        PurposeId = reader.Text16(),
                        Description = reader.Text32(),
                        StartedAtUtcTicks = reader.Int64(),
                    };
                    if (!DataUses.TryAdd(id, use))
                    {
                        return $"Proof log entry {entry.Sequence} starts data use '{id}' a second time.";
                    }

                    break;
                }

                case ConsentProofEntryKind.DataUseSubjectsAdded:
                {
                    var id = reader.Text16();
                    if (!DataUses.TryGetValue(id, out var use))
                    {
                        if (!Partial)
                        {
                            return $"Proof log entry {entry.Sequence} adds subjects to data use '{id}', which it never started.";
                        }

                        DataUses[id] = use = new LoggedDataUse(id, entry.Sequence);
                    }

                    var count = reader.Int32();
                    for (var i = 0; i < count; i++)
                    {
                        use.Members.Add((reader.Key(), reader.Int64()));
                    }

                    break;
                }

                case ConsentProofEntryKind.DataUseEnded:
                {
                    var id = reader.Text16();
                    if (!DataUses.TryGetValue(id, out var use))
                    {
                        if (!Partial)
                        {
                            return $"Proof log entry {entry.Sequence} ends data use '{id}', which it never started.";
                        }

                        DataUses[id] = use = new LoggedDataUse(id, entry.Sequence);
                    }

                    use.Status = (DataUseStatus)reader.Byte();
                    use.EndedAtUtcTicks = reader.Int64();
                    use.ItemsSeen = reader.Optional();
                    use.ItemsKept = reader.Optional();
                    var hasReason = reader.Byte() == 1;
                    var reason = reader.Text32();
                    use.FailureReason = hasReason ? reason : null;
                    break;
                }

                case ConsentProofEntryKind.ArtifactRecorded:
                    return ApplyArtifact(entry);

                case ConsentProofEntryKind.ArtifactEvent:
                {
                    var artifactEvent = LineageLog.ReadEvent(entry);
                    return artifactEvent.ArtifactId is { } id && !Partial && !Artifacts.ContainsKey(id)
                        ? $"Proof log entry {entry.Sequence} is an event of artifact '{id}', which it never recorded."
                        : null;
                }

                default:
                    return $"Proof log entry {entry.Sequence} is of an unknown kind ({(int)entry.Kind}).";
            }

            return reader.AtEnd ? null : $"Proof log entry {entry.Sequence} has bytes after its {entry.Kind} payload.";
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or DecoderFallbackException)
        {
            return $"Proof log entry {entry.Sequence} is not a well-formed {entry.Kind} entry.";
        }
    }

    private string? ApplyArtifact(ConsentProofEntry entry)
    {
        var artifact = LineageLog.ReadArtifact(entry);
        if (!Artifacts.TryAdd(artifact.Id, entry.Sequence))
        {
            return $"Proof log entry {entry.Sequence} records artifact '{artifact.Id}' a second time.";
        }

        // Inputs come before what is built from them: an edge to something recorded later (or never) was not
        // written by ConsentKit. A walk that starts at an anchor cannot see what came before it.
        foreach (var input in artifact.Inputs)
        {
            var known = input.Kind == ArtifactInputKind.DataUse ? DataUses.ContainsKey(input.Id) : Artifacts.ContainsKey(input.Id) && input.Id != artifact.Id;
            if (!known && !Partial)
            {
                return $"Proof log entry {entry.Sequence} builds artifact '{artifact.Id}' from {input}, which the log does not hold before it.";
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="registration"/> is the row the log registered for its key.</summary>
    public static bool Binds(ConsentSubjectRegistration registration, in Digest32 commitment) =>
        CryptographicOperations.FixedTimeEquals(
            commitment,
            ConsentProofLog.SubjectCommitment(registration.SubjectId, registration.SubjectKey.Span, registration.Secret.Span));
}

/// <summary>A data use as the proof log tells it.</summary>
internal sealed class LoggedDataUse(string id, long sequence)
{
    public string Id { get; } = id;

    public long Sequence { get; } = sequence;

    public string PurposeId { get; init; } = string.Empty;

    public string Description { get; init; } = string.Empty;

    public long StartedAtUtcTicks { get; init; }

    public DataUseStatus Status { get; set; } = DataUseStatus.Running;

    public long? EndedAtUtcTicks { get; set; }

    public long? ItemsSeen { get; set; }

    public long? ItemsKept { get; set; }

    public string? FailureReason { get; set; }

    public HashSet<(PackedSubjectKey Key, long ConsentSequence)> Members { get; } = [];

    /// <summary>The first field the stored row disagrees on, or <see langword="null"/>.</summary>
    public string? Difference(DataUse stored) =>
        stored.PurposeId != PurposeId ? "purpose"
        : stored.Description != Description ? "description"
        : stored.StartedAt.UtcTicks != StartedAtUtcTicks ? "start"
        : stored.Status != Status ? "status"
        : stored.EndedAt?.UtcTicks != EndedAtUtcTicks ? "end"
        : stored.ItemsSeen != ItemsSeen || stored.ItemsKept != ItemsKept ? "item counts"
        : stored.FailureReason != FailureReason ? "failure reason"
        : stored.SubjectCount != Members.Count ? "subject count"
        : null;
}
