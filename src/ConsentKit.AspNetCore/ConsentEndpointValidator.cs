using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace ConsentKit.AspNetCore;

/// <summary>
/// Stops the app at start when an endpoint's consent metadata names a purpose that is not registered
/// (<c>.RequireConsent("analytcs")</c>): otherwise that endpoint would answer 403 to everyone, quietly.
/// Runs once every hosted service has started — the request pipeline, and so the endpoint routing, is
/// only built when the web host starts — and a failure makes the host's start fail.
/// </summary>
internal sealed class ConsentEndpointValidator(IEnumerable<EndpointDataSource> dataSources, ConsentPurposeCatalog catalog) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var problems = new StringBuilder();
        foreach (var endpoint in dataSources.SelectMany(d => d.Endpoints).Distinct())
        {
            var purposes = endpoint.Metadata.OfType<IRequireConsentMetadata>().Select(m => m.PurposeId)
                .Concat(endpoint.Metadata.OfType<IContentUsageMetadata>().Select(m => m.PurposeId));
            foreach (var purposeId in purposes.Distinct(StringComparer.Ordinal))
            {
                if (!catalog.TryGetPurpose(purposeId, out _))
                {
                    problems.Append($" Endpoint '{endpoint.DisplayName}' names purpose '{purposeId}', which is not registered.");
                }
            }
        }

        return problems.Length == 0
            ? Task.CompletedTask
            : throw new InvalidOperationException(
                "Consent metadata names unregistered purposes, so those endpoints would deny everyone:" + problems +
                " Register the purpose (AddPurpose) or fix the name.");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
