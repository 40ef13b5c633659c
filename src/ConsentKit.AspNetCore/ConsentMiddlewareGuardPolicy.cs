using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace ConsentKit.AspNetCore;

/// <summary>
/// Makes an endpoint with consent metadata fail loudly when <c>UseConsentEnforcement()</c> was never
/// added — as ASP.NET Core does for authorization metadata without its middleware — instead of running
/// unguarded. Works for minimal APIs, MVC and Razor Pages alike by wrapping the selected endpoint.
/// </summary>
internal sealed class ConsentMiddlewareGuardPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    private readonly ConcurrentDictionary<Endpoint, Endpoint> _guarded = new();

    // After every other policy has narrowed the candidates.
    public override int Order => int.MaxValue - 100;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => endpoints.Any(NeedsGuard);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && NeedsGuard(candidates[i].Endpoint))
            {
                candidates.ReplaceEndpoint(i, _guarded.GetOrAdd(candidates[i].Endpoint, Guard), candidates[i].Values);
            }
        }

        return Task.CompletedTask;
    }

    private static bool NeedsGuard(Endpoint endpoint) =>
        endpoint.RequestDelegate is not null
        && (endpoint.Metadata.GetMetadata<IRequireConsentMetadata>() is not null || endpoint.Metadata.GetMetadata<IContentUsageMetadata>() is not null);

    private static Endpoint Guard(Endpoint endpoint)
    {
        var inner = endpoint.RequestDelegate!;
        RequestDelegate guarded = context =>
        {
            if (!context.Items.ContainsKey(ConsentEnforcementMiddleware.InvokedKey))
            {
                throw new InvalidOperationException(
                    $"Endpoint {endpoint.DisplayName} carries consent metadata, but the consent enforcement middleware did not run. " +
                    "Add app.UseConsentEnforcement() after app.UseAuthentication() and app.UseAuthorization(), before the endpoints.");
            }

            return inner(context);
        };
        return endpoint is RouteEndpoint route
            ? new RouteEndpoint(guarded, route.RoutePattern, route.Order, route.Metadata, route.DisplayName)
            : new Endpoint(guarded, endpoint.Metadata, endpoint.DisplayName);
    }
}
