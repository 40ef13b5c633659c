using System.Security.Claims;
using ConsentKit.AspNetCore;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ConsentKit.Samples.WebApp.Pages.Settings;

/// <summary>Settings → Data and privacy: one switch per purpose, each one click on and one click off.</summary>
public sealed class PrivacyModel(ConsentPurposeCatalog catalog, IConsentRecorder recorder, IConsentStore store) : PageModel
{
    public sealed record Row(ConsentPurpose Purpose, ConsentDecision Decision, string State, string? Notice);

    public List<Row> Rows { get; } = [];

    public IReadOnlyList<ConsentRecord> History { get; private set; } = [];

    public bool StoreUnavailable { get; private set; }

    [TempData]
    public string? Message { get; set; }

    private string Subject => User.FindFirstValue("sub")!;

    public async Task OnGetAsync()
    {
        foreach (var purpose in catalog.Purposes)
        {
            var decision = await HttpContext.CheckConsentAsync(Subject, purpose.Id);
            StoreUnavailable |= decision.Reason == ConsentDecisionReason.StoreUnavailable;
            Rows.Add(new Row(purpose, decision, Describe(purpose, decision), NoticeFor(purpose, decision)));
        }

        try
        {
            History = [.. (await store.GetHistoryAsync(Subject, HttpContext.RequestAborted)).Reverse()];
        }
        catch (ConsentStoreException)
        {
            StoreUnavailable = true;
        }
    }

    public async Task<IActionResult> OnPostAsync(string purposeId, bool turnOn, string? noticeVersion)
    {
        var evidence = ConsentEvidence.FromUserInterface(noticeVersion, "settings-page");
        try
        {
            var record = turnOn
                ? await recorder.GrantAsync(Subject, purposeId, evidence, HttpContext.RequestAborted)
                : await recorder.WithdrawAsync(Subject, purposeId, evidence, HttpContext.RequestAborted);
            Message = $"Saved: {(catalog.TryGetPurpose(purposeId, out var p) ? p.DisplayName : purposeId)} is now {(turnOn ? "on" : "off")} (record #{record.Sequence}).";
        }
        catch (ConsentNoticeOutdatedException ex)
        {
            Message = $"The notice changed to version {ex.CurrentNoticeVersion} while you were reading. Please read it again; nothing was saved.";
        }
        catch (ConsentStoreException)
        {
            Message = "Your choice could not be saved right now; nothing was changed. Please try again.";
        }
        catch (ArgumentException ex)
        {
            return BadRequest(ex.Message);
        }

        return RedirectToPage();
    }

    private string Describe(ConsentPurpose purpose, ConsentDecision decision)
    {
        var at = decision.Record?.RecordedAt.ToString("d MMM yyyy HH:mm 'UTC'");
        if (decision.Record is { } r && r.PurposeId != purpose.Id && !decision.IsAllowed)
        {
            return $"Off, because {(catalog.TryGetPurpose(r.PurposeId, out var parent) ? parent.DisplayName : r.PurposeId)} is off";
        }

        return decision.Reason switch
        {
            ConsentDecisionReason.Granted => $"On since {at}",
            ConsentDecisionReason.Refused => $"Off, refused on {at}",
            ConsentDecisionReason.Withdrawn => $"Off since {at}",
            ConsentDecisionReason.Expired => $"Off, your consent expired on {decision.Record?.ExpiresAt:d MMM yyyy}",
            ConsentDecisionReason.NoticeOutdated => "Off, the notice changed since you agreed",
            ConsentDecisionReason.StoreUnavailable => "Unknown right now, so treated as off",
            _ => "Off, you have not chosen",
        };
    }

    private static string? NoticeFor(ConsentPurpose purpose, ConsentDecision decision) => decision.Reason switch
    {
        ConsentDecisionReason.NoticeOutdated =>
            $"You agreed to version {decision.Record?.NoticeVersion}; the notice is now version {purpose.NoticeVersion}. Read it and turn the switch on to agree again.",
        ConsentDecisionReason.Expired => "Consent is asked for again after a while. Turn the switch on to agree again.",
        _ => null,
    };
}
