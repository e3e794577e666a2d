using FluentAssertions;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The web client against two real server processes (one PostgreSQL) in headless Chromium: a tab that reaches instance A
/// through a failover proxy (a load balancer) keeps working after A is killed — it reconnects to B with a token from the
/// page's <c>window.chatGetToken</c> hook — and a draft typed in the composer is still there after a reload, until it is sent.
/// </summary>
[Collection("two server instances")]
public sealed class BrowserFailoverTests(ChatInstances servers) : IClassFixture<ChatInstances>, IDisposable
{
    private ChromeDriver? _driver;

    [Fact]
    public void A_tab_survives_the_death_of_its_instance_with_a_fresh_token_and_keeps_its_draft_across_a_reload()
    {
        using var proxy = FailoverProxy.Start(servers.First.Port, servers.Second.Port);
        var tab = _driver = Chromium.Start();
        tab.Navigate().GoToUrl(proxy.Url + "/favicon.svg");
        tab.ExecuteScript("sessionStorage.setItem('chat-token', arguments[0])", servers.Token);
        tab.Navigate().GoToUrl(proxy.Url + "/?workflow=onboarding");
        WaitConnected(tab);

        // The host page's hook: the test's "auth library" hands out a token of its own (another token of the same user).
        string fresh;
        using (var key = TestKey.Hs256(ChatInstances.Secret))
        {
            fresh = key.Sign(TestKey.Claims(ChatInstances.Issuer, servers.UserId, claims => claims["session_id"] = Guid.NewGuid().ToString()));
        }

        tab.ExecuteScript("window.tokenCalls = 0; window.chatGetToken = async () => { window.tokenCalls++; return arguments[0]; };", fresh);
        Send(tab, "Antes da queda");
        WaitFor(tab, () => Messages(tab, "user", "saved").Contains("Antes da queda") && Messages(tab, "assistant", "saved").Count == 1);

        // A dies; the proxy sends the reconnect to B, which accepts the hook's token; the tab goes on sending there.
        var callsBefore = TokenCalls(tab);
        servers.First.Kill();
        WaitFor(tab, () => Connected(tab) == "false");
        WaitConnected(tab);
        TokenCalls(tab).Should().BeGreaterThan(callsBefore, "the reconnect asked the page's chatGetToken hook for a token");
        Send(tab, "Depois da queda");
        WaitFor(tab, () => Messages(tab, "user", "saved").Contains("Depois da queda") && Messages(tab, "assistant", "saved").Count == 2);

        // A draft typed (not sent) survives a reload; sent and acknowledged, it is gone from the composer after the next one.
        var composer = tab.FindElement(By.Id("text"));
        composer.SendKeys("Rascunho por enviar");
        tab.Navigate().Refresh();
        WaitConnected(tab);
        tab.FindElement(By.Id("text")).GetAttribute("value").Should().Be("Rascunho por enviar", "the draft was kept in localStorage");
        tab.FindElement(By.Id("send")).Click();
        WaitFor(tab, () => Messages(tab, "user", "saved").Contains("Rascunho por enviar") && Messages(tab, "assistant", "saved").Count == 3);
        tab.Navigate().Refresh();
        WaitConnected(tab);
        WaitFor(tab, () => Messages(tab, "user", "saved").Count == 3);
        tab.FindElement(By.Id("text")).GetAttribute("value").Should().BeEmpty("a sent and acknowledged draft is not kept");
        Messages(tab, "user", "saved").Should().Equal(["Antes da queda", "Depois da queda", "Rascunho por enviar"], "each message once");
    }

    public void Dispose()
    {
        _driver?.Quit();
        _driver?.Dispose();
    }

    private static void Send(ChromeDriver driver, string text) =>
        driver.ExecuteScript("document.getElementById('text').value = arguments[0]; document.getElementById('send').click();", text);

    private static long TokenCalls(ChromeDriver driver) => Convert.ToInt64(driver.ExecuteScript("return window.tokenCalls ?? 0"), System.Globalization.CultureInfo.InvariantCulture);

    private static string? Connected(ChromeDriver driver) => driver.FindElement(By.Id("connection")).GetAttribute("data-connected");

    private static void WaitConnected(ChromeDriver driver) => WaitFor(driver, () => Connected(driver) == "true");

    private static List<string> Messages(ChromeDriver driver, string role, string status) =>
        [.. driver.FindElements(By.CssSelector($".message[data-role='{role}'][data-status='{status}'] .content")).Select(e => e.Text)];

    private static void WaitFor(ChromeDriver driver, Func<bool> condition) => Chromium.WaitFor(driver, condition);
}
