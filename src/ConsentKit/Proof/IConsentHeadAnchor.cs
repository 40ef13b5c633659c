using System.Globalization;

namespace ConsentKit;

/// <summary>A chain head as it was anchored: the line, its signature (if signed) and when.</summary>
public sealed record ConsentAnchoredHead
{
    /// <summary>The head.</summary>
    public required ConsentChainHead Head { get; init; }

    /// <summary>The head's signature (<see cref="ConsentChainHead.Sign"/>), or <see langword="null"/> when it was kept unsigned.</summary>
    public string? Signature { get; init; }

    /// <summary>When it was anchored.</summary>
    public required DateTimeOffset AnchoredAt { get; init; }
}

/// <summary>
/// Somewhere outside the consent database that keeps chain heads and cannot be rewritten by whoever can
/// write the database: verifying against the latest head finds records cut off the end and a tail
/// rewritten with recomputed hashes (docs/history-proof.md; docs/scaling.md for object storage with a
/// retention lock or a transparency log).
/// </summary>
public interface IConsentHeadAnchor
{
    /// <summary>The most recently anchored head, or <see langword="null"/> when none was.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<ConsentAnchoredHead?> GetLatestAsync(CancellationToken cancellationToken = default);

    /// <summary>Keeps a head. A head is never replaced: an anchor only grows.</summary>
    /// <param name="head">The head.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask AddAsync(ConsentAnchoredHead head, CancellationToken cancellationToken = default);
}

/// <summary>
/// The default anchor: one write-once file per head in a directory (<c>head-&lt;records&gt;-&lt;log&gt;.txt</c>: the
/// head's line, its signature, the time). It is only outside the database's reach when the directory is
/// (another machine, a mount the database's users cannot write, a bucket with a retention lock).
/// </summary>
/// <param name="directory">The directory; created when missing.</param>
public sealed class DirectoryConsentHeadAnchor(string directory) : IConsentHeadAnchor
{
    private readonly string _directory = Path.GetFullPath(directory ?? throw new ArgumentNullException(nameof(directory)));

    /// <summary>The directory's full path.</summary>
    public string Directory => _directory;

    /// <inheritdoc />
    public async ValueTask<ConsentAnchoredHead?> GetLatestAsync(CancellationToken cancellationToken = default)
    {
        if (!System.IO.Directory.Exists(_directory))
        {
            return null;
        }

        // Names sort by (records, log) sequence: zero-padded, so the last name is the latest head.
        var latest = System.IO.Directory.EnumerateFiles(_directory, "head-*.txt").Order(StringComparer.Ordinal).LastOrDefault();
        return latest is null ? null : Read(await File.ReadAllLinesAsync(latest, cancellationToken), latest);
    }

    /// <inheritdoc />
    public async ValueTask AddAsync(ConsentAnchoredHead head, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        System.IO.Directory.CreateDirectory(_directory);
        var name = Path.Combine(
            _directory,
            string.Create(CultureInfo.InvariantCulture, $"head-{head.Head.Sequence:D20}-{head.Head.LogSequence:D20}.txt"));
        var text = head.Head + "\n" + (head.Signature ?? string.Empty) + "\n" + head.AnchoredAt.ToString("O", CultureInfo.InvariantCulture) + "\n";
        try
        {
            await using var file = new FileStream(name, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough);
            await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancellationToken);
            file.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(name) && File.ReadAllText(name).StartsWith(head.Head.ToString(), StringComparison.Ordinal))
        {
            // The same head was anchored already (two verifiers, or a restart): nothing to add.
        }
    }

    private static ConsentAnchoredHead Read(string[] lines, string path)
    {
        if (lines.Length < 3 || !DateTimeOffset.TryParse(lines[2], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at))
        {
            throw new FormatException($"'{path}' is not an anchored head: expected the head, its signature and the time on three lines.");
        }

        return new ConsentAnchoredHead
        {
            Head = ConsentChainHead.Parse(lines[0]),
            Signature = lines[1].Length == 0 ? null : lines[1],
            AnchoredAt = at,
        };
    }
}
