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

        if (endpoint.Metadata.GetMetadata<IAllowWithoutConsentMetadata>() is not null)
        {
            await next(context);
            return;
        }

        await EnforceAsync(context, endpoint.Metadata.GetOrderedMetadata<IRequireConsentMetadata>(), 0);
    }

    // Checks the requirements from index on; a denied-handler's next resumes after the denied one.
    private async Task EnforceAsync(HttpContext context, IReadOnlyList<IRequireConsentMetadata> requirements, int index)
    {
        for (var i = index; i < requirements.Count; i++)
        {
            var requirement = requirements[i];
            var subject = await subjects.ResolveAsync(context, requirement.Subject);
            ConsentDenial? denial = null;
            if (subject is null)
            {
                denial = new ConsentDenial
                {
                    PurposeId = requirement.PurposeId,
                    Decision = ConsentDecision.Deny(requirement.PurposeId, ConsentDecisionReason.NoRecord),
                    SubjectIsCaller = requirement.Subject.IsCaller,
                    Unauthenticated = requirement.Subject.IsCaller && context.User.Identity?.IsAuthenticated != true,
                };
            }
            else if (await context.CheckConsentAsync(subject, requirement.PurposeId) is { IsAllowed: false } decision)
            {
                denial = new ConsentDenial { PurposeId = requirement.PurposeId, Decision = decision, SubjectIsCaller = requirement.Subject.IsCaller };
            }

            if (denial is not null)
            {
                var resume = i + 1;
                await denied.HandleAsync(rest => EnforceAsync(rest, requirements, resume), context, denial);
                return;
            }
        }

        await next(context);
    }
}
