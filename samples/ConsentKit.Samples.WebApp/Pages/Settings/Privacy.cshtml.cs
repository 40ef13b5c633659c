using System.Security.Claims;
using ConsentKit.AspNetCore;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using ConsentKit.Samples.WebApp.Pages;

namespace ConsentKit.Samples.WebApp.Pages.Settings;

/// <summary>Settings → Data and privacy: one switch per purpose, each one click on and one click off.</summary>
/// <remarks>A switch post is a few short fields: anything larger than 4 KiB is refused before it is read, chunked or not.</remarks>
[RequestSizeLimit(MaxBodyBytes)]
[RequestFormLimits(ValueLengthLimit = MaxBodyBytes, KeyLengthLimit = 256, ValueCountLimit = 16, MultipartBodyLengthLimit = MaxBodyBytes, BufferBodyLengthLimit = MaxBodyBytes)]
public sealed class PrivacyModel(ConsentPurposeCatalog catalog, IConsentRecorder recorder, IConsentReader reader, IModelLineage lineage) : PageModel
{
    private const int MaxBodyBytes = 4 * 1024;

    /// <summary>What erasure does, shown before the person confirms.</summary>
    public const string ErasureConsequences =
        "Everything you turned on goes off now. Then the link between your account and your consent history is destroyed: the records stay, " +
        "so the network can still prove that someone agreed to each notice and find the training sets that used the data, but nothing leads from them to you. " +
        "This cannot be undone; if you turn something on later, it starts a new history.";

    /// <summary>
    /// A purpose's row. <paramref name="BlockedBy"/>: the broader purpose that is off and keeps this one off.
    /// <paramref name="Depth"/>: how far below a top-level purpose it sits; <paramref name="Relation"/>: what
    /// the broader purpose's state means for this one, in words.
    /// </summary>
    public sealed record Row(ConsentPurpose Purpose, ConsentDecision Decision, string State, string? Notice, ConsentPurpose? BlockedBy, int Depth, string? Relation);

    /// <summary>The purposes as a tree: each one followed by those under it.</summary>
    public List<Row> Rows { get; } = [];

    /// <summary>The person's records, newest first, each with the notice text they were shown when it was kept.</summary>
    public IReadOnlyList<ConsentHistoryEntry> History { get; private set; } = [];

    /// <summary>The models the person's data went into, and what each owes them once they turned it off (Art. 15).</summary>
    public IReadOnlyList<ArtifactHolding> Models { get; private set; } = [];

    /// <summary>Whether the page shows the erasure confirmation (after "Erase my consent history…").</summary>
    [BindProperty(SupportsGet = true, Name = "erase")]
    public string? EraseStep { get; set; }

    public bool StoreUnavailable { get; private set; }

    [TempData]
    public string? Message { get; set; }

    private string Subject { get; set; } = string.Empty;

    /// <summary>Who is asking, from the app's one <c>IConsentSubjectResolver</c> (as the API and the middleware do).</summary>
    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        Subject = await HttpContext.GetConsentSubjectAsync() ?? throw new InvalidOperationException("The settings page requires a signed-in member.");
        await next();
    }

    public async Task OnGetAsync()
    {
        var snapshot = await reader.GetSnapshotAsync(Subject, HttpContext.RequestAborted);
        void AddUnder(string? parentId, int depth)
        {
            foreach (var purpose in catalog.Purposes.Where(p => parentId is null ? p.ParentId is null || !catalog.TryGetPurpose(p.ParentId, out _) : p.ParentId == parentId))
            {
                var decision = snapshot.For(purpose.Id);
                StoreUnavailable |= decision.Reason == ConsentDecisionReason.StoreUnavailable;
                var parent = Rows.LastOrDefault(r => r.Purpose.Id == parentId);
                var blockedBy = BlockerOf(purpose, decision);
                Rows.Add(new Row(purpose, decision, Describe(purpose, decision), NoticeFor(purpose, decision), blockedBy, depth, parent is null || blockedBy is not null ? null : Relate(parent, decision)));
                AddUnder(purpose.Id, depth + 1);
            }
        }

        AddUnder(null, 0);

        try
        {
            History = [.. (await reader.GetHistoryAsync(Subject, HttpContext.RequestAborted)).Reverse()];
            Models = await lineage.FindArtifactsHoldingAsync(Subject, HttpContext.RequestAborted);
        }
        catch (ConsentStoreException)
        {
            StoreUnavailable = true;
        }
    }

    public async Task<IActionResult> OnPostAsync(string? purposeId, string? turnOn, string? noticeVersion)
    {
        if (Validate(purposeId, turnOn) is { } problem)
        {
            return problem;
        }

        var on = turnOn == "true";
        var evidence = ConsentEvidence.FromUserInterface(noticeVersion, "settings-page");
        return await SaveAsync(purposeId!, async () =>
        {
            // Off is off already when the gate does not allow it (never on, expired, an old notice, its
            // parent off): a withdrawal would record a change that did not happen.
            if (!on && await HttpContext.CheckConsentAsync(Subject, purposeId!) is { IsAllowed: false } current && current.Reason != ConsentDecisionReason.StoreUnavailable)
            {
                return $"{NameOf(purposeId!)} was not on, so nothing changed.";
            }

            var record = on
                ? await recorder.GrantAsync(Subject, purposeId!, evidence, HttpContext.RequestAborted)
                : await recorder.WithdrawAsync(Subject, purposeId!, evidence, HttpContext.RequestAborted);
            // Turning a purpose off turns off what was granted under it too (one write): name what it closed,
            // read from the records that write made, not guessed from the purpose list.
            var under = string.Empty;
            if (!on)
            {
                var history = await reader.GetHistoryAsync(Subject, HttpContext.RequestAborted);
                under = string.Join(", ", history
                    .Where(e => e.Record.Sequence > record.Sequence && e.Record.Metadata.TryGetValue("cascaded-from", out var from) && from == purposeId)
                    .Select(e => NameOf(e.Record.PurposeId)));
            }

            return $"Saved: {NameOf(purposeId!)} is now {(on ? "on" : "off")}{(under.Length > 0 ? $", and so is anything you turned on under it ({under})" : string.Empty)}.";
        });
    }

    /// <summary>
    /// "Turn both on": the broader purposes that keep this one off, then this one — each its own explicit
    /// grant, recorded as the person's act, top down (so each grant can take effect when it is made).
    /// </summary>
    public async Task<IActionResult> OnPostWithParentsAsync(string? purposeId)
    {
        if (Validate(purposeId, "true") is { } problem)
        {
            return problem;
        }

        return await SaveAsync(purposeId!, async () =>
        {
            var chain = new List<ConsentPurpose>();
            for (var p = catalog.TryGetPurpose(purposeId!, out var start) ? start : null; p is not null; p = p.ParentId is { } parent && catalog.TryGetPurpose(parent, out var next) ? next : null)
            {
                chain.Insert(0, p);
            }

            var saved = new List<string>();
            foreach (var purpose in chain)
            {
                var decision = await HttpContext.CheckConsentAsync(Subject, purpose.Id);
                if (decision.IsAllowed && decision.Record?.PurposeId == purpose.Id)
                {
                    continue;
                }

                await recorder.GrantAsync(Subject, purpose.Id, ConsentEvidence.FromUserInterface(purpose.NoticeVersion, "settings-page"), HttpContext.RequestAborted);
                saved.Add(purpose.DisplayName);
            }

            return $"Saved: {string.Join(" and ", saved)} now on.";
        });
    }

    /// <summary>"Withdraw everything": every purpose the person turned on goes off, in one all-or-none write.</summary>
    public async Task<IActionResult> OnPostWithdrawAllAsync() =>
        await SaveAsync(string.Empty, async () =>
        {
            var records = await recorder.WithdrawAllAsync(Subject, ConsentEvidence.FromUserInterface(null, "settings-page"), HttpContext.RequestAborted);
            return records.Count == 0
                ? "Nothing was on, so nothing changed."
                : $"Saved: {string.Join(", ", records.Select(r => NameOf(r.PurposeId)))} turned off.";
        });

    /// <summary>
    /// Erasure, confirmed: what was on is withdrawn, then the link from this account to its consent
    /// history is destroyed (the records stay as proof, unlinked). Only a form that says <c>confirm=yes</c>
    /// erases — the button on the confirmation card.
    /// </summary>
    public async Task<IActionResult> OnPostEraseAsync(string? confirm)
    {
        if (confirm != "yes")
        {
            return Problem(StatusCodes.Status400BadRequest, "Not confirmed", "Erasure needs confirm=yes from the confirmation card; nothing was erased and nothing was saved.", "confirm");
        }

        return await SaveAsync(string.Empty, async () =>
        {
            var result = await recorder.EraseSubjectAsync(Subject, ConsentEvidence.FromUserInterface(null, "settings-page"), HttpContext.RequestAborted);
            return result.Erased
                ? $"Erased: {result.Withdrawals.Count} purpose(s) turned off on the way, and your consent history no longer leads to you."
                : "There was nothing to erase.";
        });
    }

    private IActionResult? Validate(string? purposeId, string? turnOn)
    {
        // turnOn=false&turnOn=true must not be read as whichever comes first: a choice is said once.
        if (Request.HasFormContentType && Request.Form.FirstOrDefault(f => f.Value.Count > 1) is { Key: { } repeated })
        {
            return Problem(StatusCodes.Status400BadRequest, "Said twice", $"'{repeated}' was sent more than once; nothing was saved.", repeated);
        }

        if (string.IsNullOrEmpty(purposeId) || !catalog.TryGetPurpose(purposeId, out _))
        {
            return Problem(StatusCodes.Status400BadRequest, "Unknown purpose", $"'{purposeId}' is not a purpose on this page; nothing was saved.", "purposeId");
        }

        return turnOn is "true" or "false"
            ? null
            : Problem(StatusCodes.Status400BadRequest, "Say on or off", "turnOn must be 'true' or 'false'; nothing was saved.", "turnOn");
    }

    private async Task<IActionResult> SaveAsync(string purposeId, Func<Task<string>> save)
    {
        try
        {
            Message = await save();
        }
        catch (ConsentNoticeOutdatedException ex)
        {
            Message = $"The notice changed to version {ex.CurrentNoticeVersion} while you were reading. Please read it again; nothing was saved.";
        }
        catch (ConsentBlockedByAncestorException ex)
        {
            Message = $"{NameOf(ex.AncestorId)} is off, so {NameOf(purposeId)} cannot be on; nothing was saved. Use \"Turn both on\" to turn on both.";
        }
        catch (ConsentStoreException)
        {
            Message = "Your choice could not be saved right now; nothing was changed. Please try again.";
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid choice", ErrorModel.Sentence(ex) + " Nothing was saved.", ex.ParamName);
        }

        return RedirectToPage();
    }

    /// <summary>Refuses the post: the error page answers with this problem, as a page or as problem+json.</summary>
    private StatusCodeResult Problem(int status, string title, string detail, string? field)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (field is not null)
        {
            problem.Extensions["field"] = field;
        }

        HttpContext.Items[ErrorModel.ProblemKey] = problem;
        return StatusCode(status);
    }


    private ConsentPurpose? BlockerOf(ConsentPurpose purpose, ConsentDecision decision) =>
        !decision.IsAllowed && decision.Record is { } r && r.PurposeId != purpose.Id
            && decision.Reason is ConsentDecisionReason.Refused or ConsentDecisionReason.Withdrawn or ConsentDecisionReason.Expired
            && catalog.TryGetPurpose(r.PurposeId, out var blocker)
            ? blocker
            : null;

    /// <summary>The purpose's name as the person sees it on this page.</summary>
    public string NameOf(string purposeId) => catalog.TryGetPurpose(purposeId, out var p) ? p.DisplayName : purposeId;

    /// <summary>What a history row's record did, in words.</summary>
    public static string ChoiceOf(ConsentRecord record) => record.Status switch
    {
        ConsentStatus.Granted => "turned on",
        ConsentStatus.Refused => "refused",
        _ => "turned off",
    };

    /// <summary>Who made a history row's choice and where, in words.</summary>
    public string HowOf(ConsentRecord record)
    {
        var how = record.Method switch
        {
            ConsentMethod.SubjectUserInterface when record.Source == "settings-page" => "you, on this page",
            ConsentMethod.SubjectUserInterface => "you, in the app",
            ConsentMethod.SubjectApiCall => "you, through the app's API",
            ConsentMethod.PrivacySignal => "your browser's privacy signal",
            ConsentMethod.Operator => "the network's operators",
            _ => "an import of earlier choices",
        };
        return record.Metadata.TryGetValue("cascaded-from", out var parent) ? $"{how}, with {NameOf(parent)}" : how;
    }

    private string Describe(ConsentPurpose purpose, ConsentDecision decision)
    {
        var at = decision.Record?.RecordedAt.ToString("d MMM yyyy HH:mm 'UTC'");
        var bySignal = decision.Record?.Method == ConsentMethod.PrivacySignal ? " by your browser's privacy signal (Global Privacy Control)" : string.Empty;
        if (decision.Record is { } r && r.PurposeId != purpose.Id && !decision.IsAllowed)
        {
            return $"Off, because {NameOf(r.PurposeId)} is off{bySignal}";
        }

        if (bySignal.Length > 0 && decision.Reason == ConsentDecisionReason.Refused)
        {
            return $"Off{bySignal}, since {at}; turn it on if you want to";
        }

        return decision.Reason switch
        {
            ConsentDecisionReason.Granted => $"On since {at}",
            ConsentDecisionReason.Refused => $"Off, refused on {at}",
            ConsentDecisionReason.Withdrawn => $"Off since {at}",
            ConsentDecisionReason.Expired => decision.Record is { } grant && catalog.ExpiryOf(grant) is { } ended
                ? $"Off, your consent expired on {ended:d MMM yyyy}"
                : "Off, your consent expired",
            ConsentDecisionReason.NoticeOutdated => "Off, the notice changed since you agreed",
            ConsentDecisionReason.StoreUnavailable => "Unknown right now, so treated as off",
            _ => "Off, you have not chosen",
        };
    }

    /// <summary>What the broader purpose's state means for this one (when it does not block it: that has its own words).</summary>
    private static string Relate(Row parent, ConsentDecision child) => (parent.Decision.IsAllowed, child.IsAllowed) switch
    {
        (true, true) => $"Part of {parent.Purpose.DisplayName}, which is on too.",
        (true, false) => $"Part of {parent.Purpose.DisplayName}, which is on; this needs its own yes.",
        (false, true) => $"Only this; {parent.Purpose.DisplayName}, the broader choice above, stays off.",
        (false, false) => $"Part of {parent.Purpose.DisplayName}. Turning this on leaves the broader choice off.",
    };

    private static string? NoticeFor(ConsentPurpose purpose, ConsentDecision decision) => decision.Reason switch
    {
        ConsentDecisionReason.NoticeOutdated =>
            $"You agreed to version {decision.Record?.NoticeVersion}; the notice is now version {purpose.NoticeVersion}. Read it and turn the switch on to agree again.",
        ConsentDecisionReason.Expired => "Consent is asked for again after a while. Turn the switch on to agree again.",
        _ => null,
    };
}
