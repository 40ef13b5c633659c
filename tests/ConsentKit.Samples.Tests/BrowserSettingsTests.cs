using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ConsentKit.Samples.Tests;

/// <summary>
/// Every control on Settings → Data and privacy, clicked in a real Chromium with JavaScript on and with it
/// off: each says what it did, and the stored state (read through the gate) is what the page shows.
/// </summary>
public sealed class BrowserSettingsTests
{
    private const string GenAi = ConsentPurposes.GenerativeAiTraining;
    private const string AiTraining = ConsentPurposes.AiTraining;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EveryControl_SaysWhatItDid_AndTheStoredStateMatches(bool javaScript)
    {
        await using var run = await BrowserRun.StartAsync();
        var gate = run.Factory.Services.GetRequiredService<IConsentGate>();
        var store = run.Factory.Services.GetRequiredService<IConsentStore>();
        var page = await run.SignInAsync("ada", javaScript);
        var scriptErrors = new List<string>();
        page.PageError += (_, error) => scriptErrors.Add(error);
        await page.GotoAsync($"{run.BaseUrl}/settings/privacy");
        var message = page.Locator("[data-testid=message]");
        async Task<bool> Allowed(string purpose) => (await gate.CheckAsync("ada", purpose, TestContext.Current.CancellationToken)).IsAllowed;

        // A switch: on, then off.
        await Switch(page, ConsentPurposes.Analytics).ClickAsync();
        await SwitchIs(page, ConsentPurposes.Analytics, on: true);
        (await message.InnerTextAsync()).Should().Be("Saved: Analytics is now on.");
        (await Allowed(ConsentPurposes.Analytics)).Should().BeTrue();
        await Switch(page, ConsentPurposes.Analytics).ClickAsync();
        await SwitchIs(page, ConsentPurposes.Analytics, on: false);
        (await message.InnerTextAsync()).Should().Be("Saved: Analytics is now off.");
        (await Allowed(ConsentPurposes.Analytics)).Should().BeFalse();

        // The parent on and off again: the child cannot be on, and "Turn both on" turns on both.
        await Switch(page, AiTraining).ClickAsync();
        await SwitchIs(page, AiTraining, on: true);
        await Switch(page, AiTraining).ClickAsync();
        await SwitchIs(page, AiTraining, on: false);
        await page.Locator($"[data-purpose='{GenAi}'] [data-testid=blocked] button").ClickAsync();
        await SwitchIs(page, GenAi, on: true);
        (await message.InnerTextAsync()).Should().Be("Saved: Data for AI training and Data for Generative AI improvement now on.");
        (await Allowed(AiTraining)).Should().BeTrue();
        (await Allowed(GenAi)).Should().BeTrue();

        // The download: every choice, as a file.
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=download]").ClickAsync());
        using (var export = JsonDocument.Parse(await File.ReadAllTextAsync((await download.PathAsync())!, TestContext.Current.CancellationToken)))
        {
            export.RootElement.GetRawText().Should().Contain(GenAi);
        }

        // "Turn everything off".
        await page.Locator("[data-testid=withdraw-all] button").ClickAsync();
        await SwitchIs(page, AiTraining, on: false);
        (await message.InnerTextAsync()).Should().StartWith("Saved:").And.EndWith("turned off.");
        (await Allowed(AiTraining)).Should().BeFalse();
        (await Allowed(GenAi)).Should().BeFalse();

        // Erase: asks first, where it was asked; Cancel erases nothing; Yes erases.
        await page.Locator("[data-testid=erase]").ClickAsync();
        var confirm = page.Locator("[data-testid=erase-confirm]");
        await confirm.WaitForAsync();
        (await confirm.IsVisibleAsync()).Should().BeTrue();
        (await confirm.EvaluateAsync<bool>("b => { const r = b.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }"))
            .Should().BeTrue("the confirmation appears where the person asked, not at the bottom of a long page");
        await page.Locator("#erasure a", new PageLocatorOptions { HasText = "Cancel" }).ClickAsync();
        await page.Locator("[data-testid=erase]").WaitForAsync();
        (await store.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Should().NotBeEmpty("cancel erased nothing");
        await page.Locator("[data-testid=erase]").ClickAsync();
        await confirm.ClickAsync();
        await message.WaitForAsync();
        (await message.InnerTextAsync()).Should().StartWith("Erased:");
        (await store.GetHistoryAsync("ada", TestContext.Current.CancellationToken)).Should().BeEmpty();

        // Sign out: the settings page then asks to sign in.
        await page.Locator("header button", new PageLocatorOptions { HasText = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync($"{run.BaseUrl}/");
        await page.GotoAsync($"{run.BaseUrl}/settings/privacy");
        page.Url.Should().Contain("/signin");
        scriptErrors.Should().BeEmpty();
    }

    private static ILocator Switch(IPage page, string purpose) => page.Locator($"[data-purpose='{purpose}'] button.switch");

    private static Task SwitchIs(IPage page, string purpose, bool on) =>
        page.Locator($"[data-purpose='{purpose}'] button.switch[aria-checked='{(on ? "true" : "false")}']").WaitForAsync();
}
