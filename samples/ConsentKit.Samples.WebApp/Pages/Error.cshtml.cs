using System.Data.Common;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ConsentKit.Samples.WebApp.Pages;

/// <summary>
/// Every error the app answers, in one place: an exception (via <c>UseExceptionHandler</c>), a status
/// without a body (via <c>UseStatusCodePagesWithReExecute</c>: 404, 405, a refused form) or a problem a
/// page put in <see cref="ProblemKey"/>. A browser gets a page in the site's style; an API client, the
/// partner API and anything not asking for HTML get <c>application/problem+json</c>. Neither shows
/// internals, in any environment.
/// </summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    /// <summary>Where a page leaves the problem it answers with (then returns a bare status code).</summary>
    public static readonly object ProblemKey = new();

    public ProblemDetails Problem { get; private set; } = new();

    public bool StoreUnavailable { get; private set; }

    /// <summary>The status an exception answers with: a store fault is 503 (try again), bad input its own 4xx, the rest 500.</summary>
    public static int StatusFor(Exception exception) => exception switch
    {
        ConsentStoreException or DbException => StatusCodes.Status503ServiceUnavailable,
        BadHttpRequestException bad => bad.StatusCode,
        _ => StatusCodes.Status500InternalServerError,
    };

    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        var error = HttpContext.Features.Get<IExceptionHandlerFeature>();
        var reExecuted = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        var status = error?.Error is { } exception ? StatusFor(exception) : Response.StatusCode is >= 400 and < 600 ? Response.StatusCode : StatusCodes.Status404NotFound;
        StoreUnavailable = status == StatusCodes.Status503ServiceUnavailable;
        Problem = HttpContext.Items[ProblemKey] as ProblemDetails ?? Describe(status);
        Problem.Status ??= status;
        Response.StatusCode = Problem.Status.Value;
        if (StoreUnavailable)
        {
            Response.Headers.RetryAfter = "5";
        }

        var path = error?.Path ?? reExecuted?.OriginalPath ?? Request.Path.Value ?? "/";
        if (!WantsPage(path))
        {
            context.Result = new ObjectResult(Problem) { StatusCode = Problem.Status, ContentTypes = { "application/problem+json" } };
        }
    }

    /// <summary>A refusal as a sentence for a person, without .NET's " (Parameter 'x')" suffix (the field is named elsewhere).</summary>
    public static string Sentence(ArgumentException ex) =>
        ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message;

    private bool WantsPage(PathString path) =>
        !path.StartsWithSegments("/api") && !path.StartsWithSegments("/partner")
        && Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    private static ProblemDetails Describe(int status) => status switch
    {
        StatusCodes.Status503ServiceUnavailable => new() { Title = "Consent choices cannot be read right now", Detail = "While they cannot be confirmed, no one's data is used for anything that needs consent. Please try again in a moment." },
        StatusCodes.Status404NotFound => new() { Title = "Not found", Detail = "There is nothing at this address." },
        StatusCodes.Status405MethodNotAllowed => new() { Title = "Not allowed here", Detail = "This address does not take that kind of request." },
        StatusCodes.Status413PayloadTooLarge => new() { Title = "Too large", Detail = "What was sent is larger than this form takes; nothing was saved." },
        StatusCodes.Status400BadRequest => new() { Title = "Bad request", Detail = "The request could not be read (an expired page, perhaps: reload it and try again); nothing was saved." },
        StatusCodes.Status401Unauthorized => new() { Title = "Sign in required", Detail = "Sign in first." },
        StatusCodes.Status403Forbidden => new() { Title = "Not allowed", Detail = "You may not do this." },
        >= 400 and < 500 => new() { Title = "Request refused", Detail = "The request could not be handled; nothing was saved." },
        _ => new() { Title = "Something went wrong", Detail = "An unexpected error occurred; nothing was saved. Please try again." },
    };
}
