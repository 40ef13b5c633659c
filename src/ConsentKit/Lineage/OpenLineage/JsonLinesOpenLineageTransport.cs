using System.Text;

namespace ConsentKit.OpenLineage;

/// <summary>
/// Appends each event as one line of JSON to a file (the OpenLineage "file" transport): what a lineage
/// collector can tail, or a test can read. Lines are whole: writers in this process take turns.
/// </summary>
public sealed class JsonLinesOpenLineageTransport : IOpenLineageTransport
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Creates the transport.</summary>
    /// <param name="path">The file; created when missing, appended to otherwise. Its directory must exist.</param>
    /// <exception cref="ArgumentException">The path is empty or names a directory.</exception>
    public JsonLinesOpenLineageTransport(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(Path))
        {
            throw new ArgumentException($"'{Path}' is a directory; the OpenLineage file transport needs a file.", nameof(path));
        }
    }

    /// <summary>The file, as a full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public async ValueTask EmitAsync(OpenLineageRunEvent runEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runEvent);
        var line = Encoding.UTF8.GetBytes(runEvent.ToJson() + "\n");
        await _turn.WaitAsync(cancellationToken);
        try
        {
            await using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, useAsync: true);
            await file.WriteAsync(line, cancellationToken);
            await file.FlushAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            throw new OpenLineageDeliveryException($"The OpenLineage event could not be appended to '{Path}': {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new OpenLineageDeliveryException($"The OpenLineage event could not be appended to '{Path}': {ex.Message}", ex);
        }
        finally
        {
            _turn.Release();
        }
    }
}
