using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ConsentKit.Samples.Tests;

/// <summary>The whole story in a real Chromium against the web sample on a real port.</summary>
public sealed class BrowserEndToEndTests
{
    private const string GenAi = ConsentPurposes.GenerativeAiTraining;

    [Fact]
    public async Task OptIn_IsOffUntilTurnedOn_TrainingSetsFollowTheSwitch_AndAdminShowsTheWithdrawalsImpact()
    {
        await using var run = await BrowserRun.StartAsync();
        var baseUrl = run.BaseUrl;
        var ada = await run.SignInAsync("ada");
        var admin = await run.SignInAsync("operator");

        // Ada has never chosen: the switch is off.
        await ada.GotoAsync($"{baseUrl}/settings/privacy");
        var adaSwitch = ada.Locator($"[data-purpose='{GenAi}'] button.switch");
        (await adaSwitch.GetAttributeAsync("aria-checked")).Should().Be("false");
        (await ada.Locator($"[data-purpose='{GenAi}'] [data-testid=state]").InnerTextAsync()).Should().Contain("you have not chosen");
        await BrowserRun.ScreenshotAsync(ada, "settings-off");

        var first = await BuildAsync(admin, baseUrl);
        first.Members.Should().NotContain("Ada Lovelace").And.Contain("Grace Hopper");

        // One click on.
        await adaSwitch.ClickAsync();
        await ada.Locator($"[data-purpose='{GenAi}'] button.switch[aria-checked='true']").WaitForAsync();
        (await ada.Locator("[data-testid=history]").InnerTextAsync()).Should().Contain("Data for Generative AI improvement").And.Contain("turned on").And.Contain("you, on this page");
        await BrowserRun.ScreenshotAsync(ada, "settings-on");

        var second = await BuildAsync(admin, baseUrl);
        second.Members.Should().Contain("Ada Lovelace");

        // One click off.
        await ada.Locator($"[data-purpose='{GenAi}'] button.switch").ClickAsync();
        await ada.Locator($"[data-purpose='{GenAi}'] button.switch[aria-checked='false']").WaitForAsync();

        var third = await BuildAsync(admin, baseUrl);
        third.Members.Should().NotContain("Ada Lovelace");
        var withdrawal = await admin.Locator("[data-testid=withdrawals] li[data-subject='ada']").InnerTextAsync();
        withdrawal.Should().Contain(second.Id, "the set built while Ada was opted in holds her data").And.NotContain(first.Id).And.NotContain(third.Id);
        await BrowserRun.ScreenshotAsync(admin, "admin");
    }

    private static async Task<(string Id, string Members)> BuildAsync(IPage admin, string baseUrl)
    {
        await admin.GotoAsync($"{baseUrl}/admin");
        var before = await admin.Locator("[data-testid=runs] tr[data-run]").CountAsync();
        await admin.Locator("[data-testid=build]").ClickAsync();
        await admin.Locator("[data-testid=built]").WaitForAsync();
        var rows = admin.Locator("[data-testid=runs] tr[data-run]");
        (await rows.CountAsync()).Should().Be(before + 1);
        var latest = rows.First;
        return ((await latest.GetAttributeAsync("data-run"))!, await latest.Locator("[data-testid=members]").InnerTextAsync());
    }
}
