using ConsentKit.Receipts;
using ConsentKit.Samples.WebApp.Demo;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ConsentKit.Samples.WebApp.Pages.Admin;

/// <summary>The data team's view: consent rates, recent changes, training-set builds and what withdrawals affect.</summary>
public sealed class IndexModel(
    ConsentPurposeCatalog catalog, IConsentGate gate, IConsentReader reader, IDataUseAuditor auditor, TrainingSets sets, PartnerInbox inbox, ConsentKit.Relay.IConsentRelay relay) : PageModel
{
    public sealed record Rate(ConsentPurpose Purpose, int Allowed, int Members);

    public sealed record Run(DataUse Use, IReadOnlyList<string> Members);

    public sealed record Withdrawal(ConsentRecord Record, IReadOnlyList<DataUse> Affected);

    public List<Rate> Rates { get; } = [];

    public List<ConsentRecord> Recent { get; } = [];

    public List<Run> Runs { get; } = [];

    public List<Withdrawal> Withdrawals { get; } = [];

    /// <summary>What the demo partner received from the relay, newest first.</summary>
    public IReadOnlyList<PartnerInbox.Received> PartnerEvents => inbox.Events;

    /// <summary>Where each relay subscription stands.</summary>
    public IReadOnlyList<ConsentKit.Relay.ConsentRelayStatus> Relay { get; private set; } = [];

    [TempData]
    public string? Built { get; set; }

    /// <summary>The training set to audit, from <c>?audit=</c>.</summary>
    [BindProperty(SupportsGet = true, Name = "audit")]
    public string? AuditId { get; set; }

    /// <summary>The audit of <see cref="AuditId"/>: every member's grant at the run's start, and who withdrew since.</summary>
    public SignedDataUseAudit? Audit { get; private set; }

    public async Task OnGetAsync()
    {
        if (!string.IsNullOrWhiteSpace(AuditId))
        {
            Audit = await auditor.AuditAsync(AuditId, HttpContext.RequestAborted);
        }

        var members = DemoPeople.Members.Select(p => p.Id).ToList();
        foreach (var purpose in catalog.Purposes)
        {
            var decisions = await gate.CheckManyAsync(members, purpose.Id, HttpContext.RequestAborted);
            Rates.Add(new Rate(purpose, decisions.Values.Count(d => d.IsAllowed), members.Count));
        }

        var all = new List<ConsentRecord>();
        foreach (var member in members)
        {
            all.AddRange((await reader.GetHistoryAsync(member, HttpContext.RequestAborted)).Select(e => e.Record));
        }

        Recent.AddRange(all.OrderByDescending(r => r.Sequence).Take(15));
        foreach (var use in await reader.ListDataUsesAsync(20, HttpContext.RequestAborted))
        {
            Runs.Add(new Run(use, [.. sets.AuthorsIn(use.Id).Select(DemoPeople.NameOf)]));
        }

        foreach (var record in all.Where(r => r.Status == ConsentStatus.Withdrawn).OrderByDescending(r => r.Sequence))
        {
            Withdrawals.Add(new Withdrawal(record, await reader.FindAffectedDataUsesAsync(record, HttpContext.RequestAborted)));
        }

        Relay = await relay.GetStatusAsync(HttpContext.RequestAborted);
    }

    /// <summary>A purpose's name, as operators know it from the settings page.</summary>
    public string NameOf(string purposeId) => catalog.TryGetPurpose(purposeId, out var p) ? p.DisplayName : purposeId;

    /// <summary>What a record did, in words.</summary>
    public static string ChoiceOf(ConsentRecord record) => record.Status switch
    {
        ConsentStatus.Granted => "turned on",
        ConsentStatus.Refused => "refused",
        _ => "turned off",
    };

    /// <summary>How a record was made, in words (the method's name is in the export and the receipt).</summary>
    public static string HowOf(ConsentRecord record) => record.Method switch
    {
        ConsentMethod.SubjectUserInterface => "the member, in the app",
        ConsentMethod.SubjectApiCall => "the member, through the API",
        ConsentMethod.PrivacySignal => "the member's browser privacy signal",
        ConsentMethod.Operator => "an operator",
        _ => "an import",
    };

    public async Task<IActionResult> OnPostBuildAsync()
    {
        var report = await sets.BuildAsync(HttpContext.RequestAborted);
        Built = $"Built {report.DataUse?.Id}: {report.ItemsKept} of {report.ItemsSeen} posts kept from {report.SubjectsKept} members.";
        return RedirectToPage();
    }
}
