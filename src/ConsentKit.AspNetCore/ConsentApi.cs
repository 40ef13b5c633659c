using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConsentKit.AspNetCore;

/// <summary>A purpose as the signed-in person sees it in the consent API.</summary>
public sealed record ConsentPurposeState
{
    /// <summary>The purpose id.</summary>
    public required string PurposeId { get; init; }

    /// <summary>The short name.</summary>
    public required string DisplayName { get; init; }

    /// <summary>The notice text.</summary>
    public required string Notice { get; init; }

    /// <summary>The current notice version: name it when granting.</summary>
    public required string NoticeVersion { get; init; }

    /// <summary>The parent purpose, if any.</summary>
    public string? ParentId { get; init; }

    /// <summary>The gate's reason by its wire name (<see cref="ConsentVocabulary"/>): <c>granted</c>, <c>no-record</c>, <c>refused</c>, <c>withdrawn</c>, <c>expired</c> or <c>notice-outdated</c>.</summary>
    public required string State { get; init; }

    /// <summary>Whether the gate allows the purpose now.</summary>
    public required bool Allowed { get; init; }

    /// <summary>When the deciding record was made.</summary>
    public DateTimeOffset? SetAt { get; init; }

    /// <summary>The purpose whose record decided (a parent's refusal decides for its children).</summary>
    public string? DecidedBy { get; init; }
}

// The body of a grant, refusal or withdrawal: read by the handlers only, so not part of the public API.
internal sealed record ConsentChoiceRequest(string? NoticeVersion, string? Source);

/// <summary>A consent record as returned by the consent API.</summary>
public sealed record ConsentRecordResponse
{
    /// <summary>The store-assigned sequence.</summary>
    public required long Sequence { get; init; }

    /// <summary>The purpose.</summary>
    public required string PurposeId { get; init; }

    /// <summary><c>granted</c>, <c>refused</c> or <c>withdrawn</c>.</summary>
    public required string Status { get; init; }

    /// <summary>The notice version.</summary>
    public required string NoticeVersion { get; init; }

    /// <summary>When.</summary>
    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>When a grant expires.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>How it was expressed.</summary>
    public required string Method { get; init; }

    /// <summary>Where it was expressed.</summary>
    public string? Source { get; init; }

    /// <summary>The purpose's name as shown under that notice version; <see langword="null"/> when the store kept no text for it.</summary>
    public string? NoticeDisplayName { get; init; }

    /// <summary>The notice text the person saw, word for word; <see langword="null"/> when the store kept no text for that version.</summary>
    public string? NoticeText { get; init; }

    /// <summary>The response for a stored record.</summary>
    /// <param name="r">The record.</param>
    /// <param name="notice">The kept notice for its purpose and version, if any; shown only when the record's chained digest proves it is the text the person saw.</param>
    public static ConsentRecordResponse From(ConsentRecord r, ConsentNotice? notice = null)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new()
        {
            Sequence = r.Sequence,
            PurposeId = r.PurposeId,
            Status = ConsentVocabulary.NameOf(r.Status),
            NoticeVersion = r.NoticeVersion,
            RecordedAt = r.RecordedAt,
            ExpiresAt = r.ExpiresAt,
            Method = ConsentVocabulary.NameOf(r.Method),
            Source = r.Source,
            NoticeDisplayName = notice is not null && notice.WasShownFor(r) ? notice.DisplayName : null,
            NoticeText = notice is not null && notice.WasShownFor(r) ? notice.Text : null,
        };
    }
}

/// <summary>The self-service consent API handlers. The subject is always the authenticated caller.</summary>
internal static class ConsentApi
{
    public static async Task<IResult> ListAsync(HttpContext context, ConsentPurposeCatalog catalog, IConsentReader reader)
    {
        var (subject, callerError) = await CallerAsync(context);
        if (callerError is not null)
        {
            return callerError;
        }

        var snapshot = await reader.GetSnapshotAsync(subject, context.RequestAborted);
        var states = new List<ConsentPurposeState>();
        foreach (var purpose in catalog.Purposes)
        {
            var decision = snapshot.For(purpose.Id);
            if (decision.Reason == ConsentDecisionReason.StoreUnavailable)
            {
                return Problem(StatusCodes.Status503ServiceUnavailable, "Consent store unavailable", "Your consent choices cannot be read right now.");
            }

            states.Add(new ConsentPurposeState
            {
                PurposeId = purpose.Id,
                DisplayName = purpose.DisplayName,
                Notice = purpose.Description,
                NoticeVersion = purpose.NoticeVersion,
                ParentId = purpose.ParentId,
                State = StateOf(decision),
                Allowed = decision.IsAllowed,
                SetAt = decision.Record?.RecordedAt,
                DecidedBy = decision.Record is { } r && r.PurposeId != purpose.Id ? r.PurposeId : null,
            });
        }

        return Results.Ok(states);
    }

    public static async Task<IResult> HistoryAsync(HttpContext context, IConsentReader reader)
    {
        var (subject, callerError) = await CallerAsync(context);
        if (callerError is not null)
        {
            return callerError;
        }

        try
        {
            var history = await reader.GetHistoryAsync(subject, context.RequestAborted);
            return Results.Ok(history.Select(e => ConsentRecordResponse.From(e.Record, e.Notice)).ToList());
        }
        catch (ConsentStoreException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "Consent store unavailable", "Your consent history cannot be read right now.");
        }
    }

    /// <summary>A method the route does not take: a problem saying which ones it does (routing alone answers with an empty 405).</summary>
    public static IResult MethodNotAllowed(HttpContext context, string allow)
    {
        context.Response.Headers.Allow = allow;
        return Problem(StatusCodes.Status405MethodNotAllowed, "Method not allowed", $"{context.Request.Method} is not supported here; use {allow}.");
    }

    public static Task<IResult> WithdrawAllAsync(HttpContext context) => ChooseAllAsync(context, refuseUnchosen: false);

    public static Task<IResult> RefuseAllAsync(HttpContext context) => ChooseAllAsync(context, refuseUnchosen: true);

    /// <summary>"Withdraw everything" / "refuse all": one all-or-none append, each record the caller's own act.</summary>
    private static async Task<IResult> ChooseAllAsync(HttpContext context, bool refuseUnchosen)
    {
        var (subject, evidence, error) = await ReadCallersChoiceAsync(context);
        if (error is not null)
        {
            return error;
        }

        var recorder = context.RequestServices.GetRequiredService<IConsentRecorder>();
        try
        {
            var records = refuseUnchosen
                ? await recorder.RefuseAllAsync(subject, evidence, context.RequestAborted)
                : await recorder.WithdrawAllAsync(subject, evidence, context.RequestAborted);
            return Results.Ok(records.Select(r => ConsentRecordResponse.From(r)).ToList());
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid consent request", ex.Message, ("field", ex.ParamName));
        }
        catch (ConsentStoreException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "Consent store unavailable", "Your choice could not be saved; nothing was recorded. Please try again.");
        }
    }

    public static Task<IResult> GrantAsync(HttpContext context, string purposeId) => ChooseAsync(context, purposeId, ConsentStatus.Granted);

    public static Task<IResult> RefuseAsync(HttpContext context, string purposeId) => ChooseAsync(context, purposeId, ConsentStatus.Refused);

    public static Task<IResult> WithdrawAsync(HttpContext context, string purposeId) => ChooseAsync(context, purposeId, ConsentStatus.Withdrawn);

    private static async Task<IResult> ChooseAsync(HttpContext context, string purposeId, ConsentStatus status)
    {
        var (subject, evidence, error) = await ReadCallersChoiceAsync(context);
        if (error is not null)
        {
            return error;
        }

        var recorder = context.RequestServices.GetRequiredService<IConsentRecorder>();
        try
        {
            var record = status switch
            {
                ConsentStatus.Granted => await recorder.GrantAsync(subject, purposeId, evidence, context.RequestAborted),
                ConsentStatus.Refused => await recorder.RefuseAsync(subject, purposeId, evidence, context.RequestAborted),
                _ => await recorder.WithdrawAsync(subject, purposeId, evidence, context.RequestAborted),
            };
            return Results.Ok(ConsentRecordResponse.From(record));
        }
        catch (ConsentPurposeNotFoundException ex)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown purpose", ex.Message);
        }
        catch (ConsentNoticeOutdatedException ex)
        {
            return Problem(StatusCodes.Status409Conflict, "Notice version outdated", ex.Message, ("currentNoticeVersion", ex.CurrentNoticeVersion));
        }
        catch (ConsentBlockedByAncestorException ex)
        {
            return Problem(
                StatusCodes.Status409Conflict, "Blocked by a broader choice", ex.Message,
                ("blockedBy", ex.AncestorId), ("blockedByState", StateOf(ex.AncestorState)));
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid consent request", ex.Message, ("field", ex.ParamName));
        }
        catch (ConsentStoreException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "Consent store unavailable", "Your choice could not be saved; nothing was recorded. Please try again.");
        }
    }

    /// <summary>Who is choosing (signed in) and how (the body), or the problem that stops the choice.</summary>
    private static async Task<(string Subject, ConsentEvidence Evidence, IResult? Error)> ReadCallersChoiceAsync(HttpContext context)
    {
        var (subject, callerError) = await CallerAsync(context);
        if (callerError is not null)
        {
            return (string.Empty, null!, callerError);
        }

        var options = context.RequestServices.GetRequiredService<IOptions<ConsentKitHttpOptions>>();
        var (request, method, error) = await ReadChoiceAsync(context, options.Value);
        return error is not null
            ? (subject, null!, error)
            : (subject, new ConsentEvidence { Method = method, NoticeVersion = request!.NoticeVersion, Source = request.Source ?? "consent-api" }, null);
    }

    /// <summary>A choice as JSON from API clients (the subject's API call) or a form from a page (the subject's act in the UI).</summary>
    private static async Task<(ConsentChoiceRequest? Request, ConsentMethod Method, IResult? Error)> ReadChoiceAsync(HttpContext context, ConsentKitHttpOptions options)
    {
        var body = await ReadBodyAsync(context, options);
        if (body.Error is not null)
        {
            return (null, default, body.Error);
        }

        if (body.Form is { } form)
        {
            return (new ConsentChoiceRequest(form["noticeVersion"].FirstOrDefault(), form["source"].FirstOrDefault() ?? "settings-page"), body.Method, null);
        }

        try
        {
            var choice = JsonSerializer.Deserialize<ConsentChoiceRequest>(body.Json.Span, JsonSerializerOptions.Web);
            return choice is null
                ? (null, default, Problem(StatusCodes.Status400BadRequest, "Malformed request", "The body must be a JSON object."))
                : (choice, body.Method, null);
        }
        catch (JsonException)
        {
            return (null, default, Problem(StatusCodes.Status400BadRequest, "Malformed request", "The body is not valid JSON of the expected shape."));
        }
    }

    /// <summary>
    /// Reads a body of at most <see cref="ConsentKitHttpOptions.MaxRequestBodyBytes"/>, whatever its framing:
    /// JSON from API clients (<see cref="ConsentMethod.SubjectApiCall"/>) or an antiforgery-checked form from a
    /// page (<see cref="ConsentMethod.SubjectUserInterface"/>).
    /// </summary>
    internal static async Task<(ReadOnlyMemory<byte> Json, IFormCollection? Form, ConsentMethod Method, IResult? Error)> ReadBodyAsync(HttpContext context, ConsentKitHttpOptions options)
    {
        var request = context.Request;
        if (request.ContentLength > options.MaxRequestBodyBytes)
        {
            return (default, null, default, Problem(StatusCodes.Status413PayloadTooLarge, "Request too large", $"The body must be at most {options.MaxRequestBodyBytes} bytes."));
        }

        var isForm = request.HasFormContentType;
        if (!isForm && !request.HasJsonContentType())
        {
            return (default, null, default, Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send application/json or a form."));
        }

        // Read at most the limit plus one byte, whatever the framing: a chunked body (no Content-Length)
        // cannot be made huge either, JSON or form.
        var buffer = new byte[options.MaxRequestBodyBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted)) > 0)
        {
            length += read;
        }

        if (length > options.MaxRequestBodyBytes)
        {
            return (default, null, default, Problem(StatusCodes.Status413PayloadTooLarge, "Request too large", $"The body must be at most {options.MaxRequestBodyBytes} bytes."));
        }

        if (!isForm)
        {
            return (buffer.AsMemory(0, length), null, ConsentMethod.SubjectApiCall, null);
        }

        request.Body = new MemoryStream(buffer, 0, length, writable: false);
        try
        {
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return (default, null, default, Problem(StatusCodes.Status400BadRequest, "Antiforgery token missing or invalid", "Reload the page and try again."));
        }

        return (default, await request.ReadFormAsync(context.RequestAborted), ConsentMethod.SubjectUserInterface, null);
    }

    private static string StateOf(ConsentDecision decision) => StateOf(decision.Reason);

    // A purpose's state is the gate's reason, by its wire name (granted, no-record, refused, …).
    private static string StateOf(ConsentDecisionReason reason) => ConsentVocabulary.NameOf(reason);

    /// <summary>The signed-in caller's subject id, or the problem: 401 without one, 400 for one the library cannot take (never a 500 later).</summary>
    internal static async Task<(string Subject, IResult? Error)> CallerAsync(HttpContext context)
    {
        if (await context.GetConsentSubjectAsync() is not { } subject)
        {
            return (string.Empty, Unauthenticated());
        }

        return ConsentRecordRules.IsValidSubjectId(subject)
            ? (subject, null)
            : (string.Empty, Problem(StatusCodes.Status400BadRequest, "Invalid subject", "Your account's subject id cannot be used for consent records (empty, too long or with control characters).", ("field", "subjectId")));
    }

    internal static IResult Unauthenticated() =>
        Problem(StatusCodes.Status401Unauthorized, "Sign in required", "Sign in to see and change your consent choices.");

    internal static IResult Problem(int status, string title, string detail, params (string Key, object? Value)[] extensions) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Extensions = extensions.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value),
        });
}
