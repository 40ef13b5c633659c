namespace ConsentKit;

/// <summary>
/// Serialises, within one process, the choices of one subject that read the current state before they
/// append (a cascade, "withdraw all"): without it, "withdraw all" could plan from a state a concurrent refusal
/// has just changed and record a withdrawal after it, a result no order of the two would give. Striped by
/// subject so different people never wait on each other, and held only from the read to the append
/// (observers run after it is released). Writes from other processes are not covered: see docs/architecture.md.
/// </summary>
internal sealed class SubjectWriteLocks
{
    private const int Stripes = 256;
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>Waits for the subject's stripe; dispose the result to release it.</summary>
    public async ValueTask<Releaser> AcquireAsync(string subjectId, CancellationToken cancellationToken)
    {
        var stripe = _stripes[(uint)StringComparer.Ordinal.GetHashCode(subjectId) % Stripes];
        await stripe.WaitAsync(cancellationToken);
        return new Releaser(stripe);
    }

    /// <summary>Releases a stripe once.</summary>
    public readonly struct Releaser(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}
