using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ConsentKit.Samples.Tests;

/// <summary>
/// Every page of the sample checked with axe-core in a real Chromium (no serious or critical violation:
/// labels on every switch, names on every control, contrast, structure), and the settings page worked
/// with the keyboard alone.
/// </summary>
public sealed class BrowserAccessibilityTests
{
    [Fact]
    public async Task EveryPage_HasNoSeriousOrCriticalAxeViolation()
    {
        await using var run = await BrowserRun.StartAsync();
        var recorder = run.Factory.Services.GetRequiredService<IConsentRecorder>();
        var evidence = ConsentEvidence.FromUserInterface("1", "settings-page");

        // Every state a row can be in: on, off, blocked by its parent (with "Turn both on"), a history.
        await recorder.GrantAsync("ada", ConsentPurposes.Analytics, evidence, TestContext.Current.CancellationToken);
        await recorder.GrantAsync("ada", ConsentPurposes.AiTraining, evidence, TestContext.Current.CancellationToken);
        await recorder.WithdrawAsync("ada", ConsentPurposes.AiTraining, evidence, TestContext.Current.CancellationToken);
        var anonymous = await run.NewPageAsync();
        var ada = await run.SignInAsync("ada");
        var admin = await run.SignInAsync("operator");
        var checkedPages = new List<string>();

        async Task Check(IPage page, string path)
        {
            await page.GotoAsync($"{run.BaseUrl}{path}");
            var result = await page.RunAxe();
            var serious = result.Violations.Where(v => v.Impact is "serious" or "critical")
                .Select(v => $"{v.Id} ({v.Impact}): {v.Help} — {string.Join("; ", v.Nodes.Select(n => n.Html))}");
            serious.Should().BeEmpty("{0} must be usable by everyone", path);
            checkedPages.Add(path);
        }

        await Check(anonymous, "/signin");
        await Check(anonymous, "/");
        await Check(anonymous, "/users/grace");
        await Check(anonymous, "/no-such-page");
        await Check(ada, "/settings/privacy");
        await BrowserRun.ScreenshotAsync(ada, "settings-privacy");
        await Check(ada, "/settings/privacy?erase=confirm");
        await Check(admin, "/admin");
        await admin.Locator("[data-testid=build]").ClickAsync();
        await admin.Locator("[data-testid=built]").WaitForAsync();
        await BrowserRun.ScreenshotAsync(admin, "admin");
        await Check(admin, "/admin");

        checkedPages.Should().HaveCount(8);
    }

    [Fact]
    public async Task TheSettingsPage_WorksWithTheKeyboardAlone()
    {
        await using var run = await BrowserRun.StartAsync();
        var gate = run.Factory.Services.GetRequiredService<IConsentGate>();
        var page = await run.SignInAsync("ada");
        await page.GotoAsync($"{run.BaseUrl}/settings/privacy");
        var target = page.Locator($"[data-purpose='{ConsentPurposes.Analytics}'] button.switch");

        // Tab from the top of the page until the Analytics switch has the focus, as a keyboard user would.
        var focused = false;
        for (var i = 0; i < 40 && !focused; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            focused = await target.EvaluateAsync<bool>("b => document.activeElement === b");
        }

        focused.Should().BeTrue("every switch is reachable with Tab");
        (await target.EvaluateAsync<string>("b => getComputedStyle(b).outlineStyle")).Should().NotBe("none", "the focused switch shows a focus ring");
        await page.Keyboard.PressAsync("Space");
        await page.Locator($"[data-purpose='{ConsentPurposes.Analytics}'] button.switch[aria-checked='true']").WaitForAsync();

        (await gate.CheckAsync("ada", ConsentPurposes.Analytics, TestContext.Current.CancellationToken)).IsAllowed.Should().BeTrue();
        (await page.Locator("[data-testid=message]").InnerTextAsync()).Should().Be("Saved: Analytics is now on.");
    }
}
