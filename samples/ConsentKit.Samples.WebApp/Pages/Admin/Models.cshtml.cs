using ConsentKit.Samples.WebApp.Demo;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ConsentKit.Samples.WebApp.Pages.Admin;

/// <summary>The models page: each model, what it was built from, where it serves, what it owes, and "rebuild without them".</summary>
public sealed class ModelsModel(IModelLineage lineage, Models models) : PageModel
{
    public List<ArtifactObligations> Artifacts { get; } = [];

    public LineageGraph? Graph { get; private set; }

    [TempData]
    public string? Message { get; set; }

    public async Task OnGetAsync()
    {
        Graph = await lineage.GetGraphAsync(HttpContext.RequestAborted);
        Artifacts.AddRange((await lineage.GetAllObligationsAsync(HttpContext.RequestAborted)).Reverse());
    }

    public async Task<IActionResult> OnPostTrainAsync()
    {
        var model = await models.TrainAsync(HttpContext.RequestAborted);
        Message = model is null ? "Build a training set first (Admin → Build training set)." : $"Trained {model.Id} on {model.Inputs[0].Id}.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDeployAsync(string? artifactId)
    {
        try
        {
            await models.DeployAsync(artifactId ?? string.Empty, HttpContext.RequestAborted);
            Message = $"{artifactId} now serves {Models.Production}.";
        }
        catch (ArgumentException ex)
        {
            Message = ErrorModel.Sentence(ex);
        }

        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRebuildAsync(string? artifactId)
    {
        try
        {
            var (model, plan) = await models.RebuildAsync(artifactId ?? string.Empty, HttpContext.RequestAborted);
            var left = plan.Inputs.SelectMany(i => i.LeaveOut).Distinct().Select(DemoPeople.NameOf).ToList();
            Message = $"Rebuilt {artifactId} as {model.Id}, without {(left.Count == 0 ? "anyone" : string.Join(", ", left))}" +
                (plan.Deployments.Count > 0 ? $"; it now serves {string.Join(", ", plan.Deployments)}." : ".");
        }
        catch (ArgumentException ex)
        {
            Message = ErrorModel.Sentence(ex);
        }

        return RedirectToPage();
    }
}
