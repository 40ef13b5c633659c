using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace ConsentKit.AspNetCore;

/// <summary>Finds the subject id for a request. Replace it in DI for custom schemes.</summary>
public interface IConsentSubjectResolver
{
    /// <summary>The subject id, or <see langword="null"/> when the request names none (e.g. an anonymous caller).</summary>
    /// <param name="context">The request.</param>
    /// <param name="subject">Whose consent the endpoint needs.</param>
    ValueTask<string?> ResolveAsync(HttpContext context, ConsentSubject subject);
}

internal sealed class DefaultConsentSubjectResolver(IOptions<ConsentKitHttpOptions> options) : IConsentSubjectResolver
{
    public ValueTask<string?> ResolveAsync(HttpContext context, ConsentSubject subject)
    {
        if (subject.RouteParameterName is { } name)
        {
            return ValueTask.FromResult(context.GetRouteValue(name)?.ToString());
        }

        return ValueTask.FromResult(CallerOf(context, options.Value));
    }

    internal static string? CallerOf(HttpContext context, ConsentKitHttpOptions options)
    {
        if (context.User.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        foreach (var type in options.SubjectClaimTypes)
        {
            if (context.User.FindFirst(type)?.Value is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }
}
