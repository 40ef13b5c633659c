using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ConsentKit.AspNetCore;

/// <summary>
/// Reads the endpoint's consent metadata and asks the gate. It holds no rules of its own: the gate
/// decides, this only maps decisions to HTTP.
/// </summary>
internal sealed class ConsentEnforcementMiddleware(
    RequestDelegate next,
    IConsentSubjectResolver subjects,
    IConsentDeniedHandler denied,
    GlobalPrivacyControl privacySignals)
{
    internal const string InvokedKey = "__ConsentKitEnforcementMiddlewareInvoked";

    public async Task InvokeAsync(HttpContext context)
    {
        context.Items[InvokedKey] = true;

        // A refusal signal is recorded before anything is decided, so this very request honours it.
        if (GlobalPrivacyControl.IsSignalled(context.Request.Headers)
            && await subjects.ResolveAsync(context, ConsentSubject.Caller) is { } caller)
        {
            await privacySignals.RecordRefusalsAsync(caller, context.RequestAborted);
        }

        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            await next(context);
            return;
        }

        if (endpoint.Metadata.GetMetadata<IContentUsageMetadata>() is { } contentUsage)
        {
            var owner = await subjects.ResolveAsync(context, contentUsage.Subject);
            var allowed = owner is not null && (await context.CheckConsentAsync(owner, contentUsage.PurposeId)).IsAllowed;

            // aipref: "n" unless this person opted in; unknown, expired, withdrawn and errors all say "n".
            context.Response.Headers["Content-Usage"] = allowed ? "train-ai=y" : "train-ai=n";
        }

        if (endpoint.Metadata.GetMetadata<IAllowWithoutConsentMetadata>() is null)
        {
            foreach (var requirement in endpoint.Metadata.GetOrderedMetadata<IRequireConsentMetadata>())
            {
                var subject = await subjects.ResolveAsync(context, requirement.Subject);
                if (subject is null)
                {
                    var anonymous = requirement.Subject.IsCaller && context.User.Identity?.IsAuthenticated != true;
                    await denied.HandleAsync(context, new ConsentDenial(
                        requirement.PurposeId, ConsentDecision.Deny(requirement.PurposeId, ConsentDecisionReason.NoRecord), requirement.Subject.IsCaller, anonymous));
                    return;
                }

                var decision = await context.CheckConsentAsync(subject, requirement.PurposeId);
                if (!decision.IsAllowed)
                {
                    await denied.HandleAsync(context, new ConsentDenial(requirement.PurposeId, decision, requirement.Subject.IsCaller, Unauthenticated: false));
                    return;
                }
            }
        }

        await next(context);
    }
}
