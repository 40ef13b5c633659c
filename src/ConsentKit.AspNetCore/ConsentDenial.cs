using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ConsentKit.AspNetCore;

/// <summary>Why a request was stopped by consent enforcement.</summary>
public sealed class ConsentDenial
{
    /// <summary>The purpose the endpoint needs.</summary>
    public required string PurposeId { get; init; }

    /// <summary>The gate's decision.</summary>
    public required ConsentDecision Decision { get; init; }

    /// <summary>Whether the subject is the caller (who may learn the detailed reason).</summary>
    public required bool SubjectIsCaller { get; init; }

    /// <summary>Whether the caller must sign in first (the subject is the caller and there is none).</summary>
    public bool Unauthenticated { get; init; }
}

/// <summary>
/// Handles a denied request. One replaceable place, shaped like <c>IAuthorizationMiddlewareResultHandler</c>:
/// the default writes a problem response; a handler that calls <c>next</c> lets the request go on, so
/// a rollout can run report-only (log the denial, serve the request) before it enforces.
/// </summary>
public interface IConsentDeniedHandler
{
    /// <summary>Writes the response, or lets the request continue.</summary>
    /// <param name="next">
    /// The rest of the pipeline: the endpoint's remaining consent requirements, then the endpoint. Not
    /// calling it ends the request here.
    /// </param>
    /// <param name="context">The request.</param>
    /// <param name="denial">Why it was denied.</param>
    /// <returns>A task that completes when the response is written or the rest of the pipeline has run.</returns>
    Task HandleAsync(RequestDelegate next, HttpContext context, ConsentDenial denial);
}

/// <summary>
/// The default: RFC 9457 problem details, 401 for an anonymous caller, 503 (with <c>Retry-After</c>) when
/// the consent could not be read, 403 otherwise. A store fault is not the person's answer: a client that
/// retries later may be served, so it must not be told "forbidden" as if the person had said no.
/// </summary>
internal sealed class ProblemDetailsConsentDeniedHandler(IProblemDetailsService problemDetails, IOptions<ConsentKitHttpOptions> options) : IConsentDeniedHandler
{
    private const string RetryAfterSeconds = "5";

    public async Task HandleAsync(RequestDelegate next, HttpContext context, ConsentDenial denial)
    {
        var unavailable = !denial.Unauthenticated && denial.Decision.Reason == ConsentDecisionReason.StoreUnavailable;
        var status = denial.Unauthenticated ? StatusCodes.Status401Unauthorized
            : unavailable ? StatusCodes.Status503ServiceUnavailable
            : StatusCodes.Status403Forbidden;
        var problem = new ProblemDetails { Status = status };
        problem.Extensions["purpose"] = denial.PurposeId;
        if (denial.Unauthenticated)
        {
            problem.Type = "https://consentkit.dev/problems/sign-in-required";
            problem.Title = "Sign in required";
            problem.Detail = "Sign in so that your consent choices can be checked.";
        }
        else if (unavailable)
        {
            // Says nothing about the person's choice, so it is the same for the person and for anyone else.
            problem.Type = "https://consentkit.dev/problems/consent-unavailable";
            problem.Title = "Consent cannot be checked right now";
            problem.Detail = "The consent store could not be read, so this data is not used. Try again shortly.";
            problem.Extensions["reason"] = ConsentVocabulary.NameOf(denial.Decision.Reason);
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
        }
        else if (denial.SubjectIsCaller)
        {
            problem.Type = "https://consentkit.dev/problems/consent-required";
            problem.Title = "Consent required";
            problem.Detail = Describe(denial.Decision);
            problem.Extensions["reason"] = ConsentVocabulary.NameOf(denial.Decision.Reason);
            if (denial.Decision.Record is { } record && record.PurposeId != denial.PurposeId)
            {
                problem.Extensions["decidedBy"] = record.PurposeId;
            }

            if (options.Value.ConsentUrl is { } url)
            {
                problem.Extensions["consentUrl"] = url;
            }
        }
        else
        {
            // Someone asking about another person learns only that it is not permitted.
            problem.Type = "https://consentkit.dev/problems/not-permitted";
            problem.Title = "Not permitted";
            problem.Detail = "This person's data may not be used for this purpose.";
        }

        context.Response.StatusCode = status;
        if (!await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            // No writer takes it (the client asked for HTML, say): still a problem document, labelled as one.
            await context.Response.WriteAsJsonAsync(problem, options: (System.Text.Json.JsonSerializerOptions?)null, contentType: "application/problem+json");
        }
    }

    private static string Describe(ConsentDecision decision) => decision.Reason switch
    {
        ConsentDecisionReason.NoRecord => "You have not agreed to this use of your data.",
        ConsentDecisionReason.Refused => "You refused this use of your data.",
        ConsentDecisionReason.Withdrawn => "You withdrew your consent to this use of your data.",
        ConsentDecisionReason.Expired => "Your consent to this use of your data has expired; you can give it again.",
        ConsentDecisionReason.NoticeOutdated => "The notice for this use has changed since you agreed; please review it and agree again.",
        ConsentDecisionReason.UnknownPurpose => "This purpose is not known.",
        ConsentDecisionReason.StoreUnavailable => "Your consent could not be confirmed right now, so your data is not used.",
        _ => "Your data may not be used for this purpose.",
    };
}
