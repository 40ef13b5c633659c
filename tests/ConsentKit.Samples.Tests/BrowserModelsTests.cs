using Deque.AxeCore.Playwright;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ConsentKit.Samples.Tests;

/// <summary>Withdrawal reaches the models, in a real Chromium: the member sees what is owed, the data team rebuilds without them.</summary>
public sealed class BrowserModelsTests
{
    [Fact]
    public async Task AWithdrawal_ShowsOnTheModelsPage_AndRebuildingWithoutThePersonResolvesIt()
    {
        await using var run = await BrowserRun.StartAsync();
        var admin = await run.SignInAsync("operator");
        var ada = await run.SignInAsync("ada");

        // Ada opts in; the data team builds a set, trains a model on it and deploys it.
        await ada.GotoAsync($"{run.BaseUrl}/settings/privacy");
        await ada.Locator($"[data-purpose='{ConsentPurposes.GenerativeAiTraining}'] button.switch").ClickAsync();
        await ada.Locator($"[data-purpose='{ConsentPurposes.GenerativeAiTraining}'] button.switch[aria-checked='true']").WaitForAsync();
        await admin.GotoAsync($"{run.BaseUrl}/admin");
        await admin.Locator("[data-testid=build]").ClickAsync();
        await admin.Locator("[data-testid=built]").WaitForAsync();
        await admin.GotoAsync($"{run.BaseUrl}/admin/models");
        await admin.Locator("[data-testid=train]").ClickAsync();
        await admin.Locator("[data-testid=deploy]").ClickAsync();
        var model = admin.Locator("[data-artifact]").First;
        (await model.Locator("[data-testid=deployed]").InnerTextAsync()).Should().Contain("assistant-production");
        var modelId = (await model.GetAttributeAsync("data-artifact"))!;

        // Ada turns it off: her page names the model and the deadline; the models page shows what it owes her.
        await ada.Locator($"[data-purpose='{ConsentPurposes.GenerativeAiTraining}'] button.switch").ClickAsync();
        await ada.Locator($"[data-purpose='{ConsentPurposes.GenerativeAiTraining}'] button.switch[aria-checked='false']").WaitForAsync();
        var owedToAda = ada.Locator($"[data-testid=models] li[data-artifact='{modelId}'] [data-testid=owed]");
        (await owedToAda.InnerTextAsync()).Should().Contain("you turned this off").And.Contain("rebuilt without you or retired by");
        await admin.ReloadAsync();
        var row = admin.Locator($"[data-artifact='{modelId}'] tr[data-subject='ada']");
        (await row.Locator("[data-testid=status]").InnerTextAsync()).Should().Be("open");
        (await admin.RunAxe()).Violations.Where(v => v.Impact is "serious" or "critical").Should().BeEmpty("the models page is usable by everyone");
        await BrowserRun.ScreenshotAsync(admin, "admin-models");

        // "Rebuild without them": a new set through the gate, a new model, the deployment handed over.
        await admin.Locator($"[data-artifact='{modelId}'] [data-testid=rebuild]").ClickAsync();
        (await admin.Locator("[data-testid=message]").InnerTextAsync()).Should().Contain("without Ada Lovelace").And.Contain("now serves assistant-production");
        (await admin.Locator($"[data-artifact='{modelId}'] tr[data-subject='ada'] [data-testid=status]").InnerTextAsync()).Should().StartWith("resolved:");
        await ada.ReloadAsync();
        (await owedToAda.InnerTextAsync()).Should().Contain("done: it no longer uses your data");

        var lineage = run.Factory.Services.GetRequiredService<IModelLineage>();
        (await lineage.GetObligationsAsync(modelId, TestContext.Current.CancellationToken)).Owed.Should().Be(0, "the page shows what the lineage holds");
    }
}
