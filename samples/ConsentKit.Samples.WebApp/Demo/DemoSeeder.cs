namespace ConsentKit.Samples.WebApp.Demo;

/// <summary>
/// On first run: the posts, and a few choices members made "earlier" so the admin page has something
/// to show. Ada starts with no choice at all: everything is off until she turns it on.
/// </summary>
internal sealed class DemoSeeder(PostRepository posts, IConsentRecorder recorder, IConsentReader reader) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await posts.EnsureSeededAsync(cancellationToken);
        if ((await reader.GetHistoryAsync("grace", cancellationToken)).Count > 0)
        {
            return;
        }

        var ui = ConsentEvidence.FromUserInterface("1", "demo-seed");
        await recorder.GrantAsync("grace", ConsentPurposes.GenerativeAiTraining, ui, cancellationToken);
        await recorder.GrantAsync("grace", ConsentPurposes.Analytics, ui, cancellationToken);
        await recorder.GrantAsync("katherine", ConsentPurposes.GenerativeAiTraining, ui, cancellationToken);
        await recorder.RefuseAsync("linus", ConsentPurposes.AiTraining, ui, cancellationToken);
        await recorder.GrantAsync("margaret", ConsentPurposes.Personalization, ui, cancellationToken);
        await recorder.RefuseAsync("alan", ConsentPurposes.Marketing, ui, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
