using System.Net;
using ConsentKit;
using ConsentKit.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace ConsentKitWeb;

/// <summary>
/// Settings → Privacy: one switch per purpose, each one click on and one click off, recorded as the
/// person's own act under the notice version the page showed.
/// </summary>
public static class PrivacySettings
{
    public static void MapPrivacySettings(this IEndpointRouteBuilder app, string path)
    {
        app.MapGet(path, async (HttpContext context, IConsentReader reader, ConsentPurposeCatalog catalog, IAntiforgery antiforgery, string? saved) =>
        {
            var subject = (await context.GetConsentSubjectAsync())!;
            var snapshot = await reader.GetSnapshotAsync(subject, context.RequestAborted);
            var token = antiforgery.GetAndStoreTokens(context);
            var rows = string.Concat(catalog.Purposes.Select(p =>
            {
                var decision = snapshot.For(p.Id);
                var on = decision.IsAllowed;
                return $"""
                    <li><form method="post" action="{path}">
                      <input type="hidden" name="{token.FormFieldName}" value="{token.RequestToken}">
                      <input type="hidden" name="purposeId" value="{E(p.Id)}">
                      <input type="hidden" name="noticeVersion" value="{E(p.NoticeVersion)}">
                      <input type="hidden" name="turnOn" value="{(on ? "false" : "true")}">
                      <strong>{E(p.DisplayName)}</strong>: {E(p.Description)}
                      <em>{(on ? "On" : "Off")}</em>
                      <button type="submit" role="switch" aria-checked="{(on ? "true" : "false")}" aria-label="{E(p.DisplayName)}">{(on ? "Turn off" : "Turn on")}</button>
                    </form></li>
                    """;
            }));
            // Said from the state just read, not from the link: a crafted ?saved= cannot make the page claim anything untrue.
            var message = saved is not null && catalog.TryGetPurpose(saved, out var changed)
                ? $"<p role=\"status\">Saved: {E(changed.DisplayName)} is now {(snapshot.For(changed.Id).IsAllowed ? "on" : "off")}.</p>"
                : string.Empty;
            return Results.Content(Html.Page("Privacy settings", $"""
                <h1>Privacy settings</h1>
                <p>Signed in as {E(context.User.Identity?.Name ?? subject)}. Nothing here is on until you turn it on.</p>
                {message}
                <ul>{rows}</ul>
                <form method="post" action="/signout"><input type="hidden" name="{token.FormFieldName}" value="{token.RequestToken}"><button type="submit">Sign out</button></form>
                """), "text/html");
        }).RequireAuthorization();

        // [FromForm] makes the antiforgery middleware check the token: no cross-site choices.
        app.MapPost(path, async (HttpContext context, IConsentRecorder recorder, ConsentPurposeCatalog catalog,
            [FromForm] string? purposeId, [FromForm] string? turnOn, [FromForm] string? noticeVersion) =>
        {
            if (purposeId is null || !catalog.TryGetPurpose(purposeId, out var purpose))
            {
                return Results.Problem(statusCode: 400, title: "Unknown purpose", detail: "Nothing was saved.");
            }

            if (turnOn is not ("true" or "false"))
            {
                return Results.Problem(statusCode: 400, title: "Say on or off", detail: "turnOn must be 'true' or 'false'; nothing was saved.");
            }

            var subject = (await context.GetConsentSubjectAsync())!;
            var evidence = ConsentEvidence.FromUserInterface(noticeVersion, "settings-page");
            try
            {
                if (turnOn == "true")
                {
                    await recorder.GrantAsync(subject, purposeId, evidence, context.RequestAborted);
                }
                else
                {
                    await recorder.WithdrawAsync(subject, purposeId, evidence, context.RequestAborted);
                }
            }
            catch (ConsentNoticeOutdatedException)
            {
                return Results.Problem(statusCode: 409, title: "The notice changed", detail: "Read it again; nothing was saved.");
            }
            catch (ConsentBlockedByAncestorException ex)
            {
                return Results.Problem(statusCode: 409, title: "Blocked by a broader choice", detail: ex.Message);
            }
            catch (ConsentStoreException)
            {
                return Results.Problem(statusCode: 503, title: "Not saved", detail: "Your choice could not be saved right now; nothing was changed.");
            }

            return Results.Redirect($"{path}?saved={WebUtility.UrlEncode(purpose.Id)}");
        }).RequireAuthorization();
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);
}

/// <summary>The app's one page layout.</summary>
internal static class Html
{
    public static string Page(string title, string body) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{WebUtility.HtmlEncode(title)}</title></head>
        <body><main>
        {body}
        </main></body></html>
        """;
}
