using ConsentKit.ModelBased;

namespace ConsentKit.Tests;

/// <summary>Every path held to the reference model over generated catalogs and histories, in memory.</summary>
public sealed class ModelBasedTests
{
    [Fact]
    public Task EveryPath_AgreesWithTheReferenceModel_InMemory() =>
        ModelChecks.RunAsync(() => Task.FromResult<(IConsentStore, Func<Task>)>((new InMemoryConsentStore(), () => Task.CompletedTask)), iterations: 1_000);
}
