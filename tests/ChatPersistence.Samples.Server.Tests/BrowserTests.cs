using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The page in real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium) against the server on a real
/// loopback port: send → saved, reload → history, switch workflow and back (instant, from the cache), clear after
/// confirmation, and markup shown as text. Fails loudly, with the install command, when the browser is missing.
/// </summary>
public sealed class BrowserTests : IAsyncLifetime, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-server-browser-" + Guid.NewGuid().ToString("N"));
    private WebApplication _app = null!;
    private ChromeDriver _driver = null!;
    private string _url = null!;

    public async Task InitializeAsync()
    {
        _driver = Chromium.Start();
        Directory.CreateDirectory(_folder);
        _app = ChatServer.Build(["--environment", "Development", "--urls", "http://127.0.0.1:0", "--ChatPersistence:Sqlite:Path", Path.Combine(_folder, "chat.db"), "--Chat:OfflineWordDelay", "00:00:00.005"],
            builder => builder.WebHost.UseContentRoot(AppContext.BaseDirectory).UseWebRoot(Path.Combine(AppContext.BaseDirectory, "wwwroot")));
        await _app.StartAsync();
        _url = _app.Urls.First();
    }

    public void Dispose() => _driver?.Dispose();

    public async Task DisposeAsync()
    {
        _driver?.Quit();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void A_conversation_persists_per_workflow_in_a_real_browser()
    {
        _driver.Navigate().GoToUrl($"{_url}/?user=browser-user&workflow=onboarding");
        WaitFor(() => _driver.FindElement(By.Id("connection")).GetAttribute("data-connected") == "true");

        // Send: pending → saved, and the assistant's streamed reply lands.
        Send("Olá! Isto fica guardado?");
        WaitFor(() => Message("Olá! Isto fica guardado?")?.GetAttribute("data-status") == "saved");
        WaitFor(() => _driver.FindElements(By.CssSelector(".message.assistant[data-status='saved']")).Count == 1);

        // Markup is text, never HTML.
        Send("<script>window.hacked = true</script><b>bold?</b>");
        WaitFor(() => Message("<script>window.hacked = true</script><b>bold?</b>")?.GetAttribute("data-status") == "saved");
        _driver.FindElements(By.CssSelector(".message .content b")).Should().BeEmpty();
        ((IJavaScriptExecutor)_driver).ExecuteScript("return window.hacked === true").Should().Be(false);

        // Reload: the history comes back from the server.
        _driver.Navigate().Refresh();
        WaitFor(() => Message("Olá! Isto fica guardado?") is not null && _driver.FindElements(By.CssSelector(".message")).Count == 4);

        // Switch workflow: the other history (empty), then back: shown at once from the cache, then refreshed.
        Choose("invoices");
        WaitFor(() => _driver.FindElement(By.Id("messages")).GetAttribute("data-workflow") == "invoices" && _driver.FindElements(By.Id("empty")).Count == 1);
        Send("Fatura 42");
        WaitFor(() => Message("Fatura 42")?.GetAttribute("data-status") == "saved");
        Choose("onboarding");
        var list = _driver.FindElement(By.Id("messages"));
        list.GetAttribute("data-first-paint").Should().Be("cache:4", "switching back paints the cached history at once, before the server answers");
        Message("Olá! Isto fica guardado?").Should().NotBeNull();
        Message("Fatura 42").Should().BeNull();
        WaitFor(() => _driver.FindElement(By.Id("messages")).GetAttribute("data-source") == "server");

        Screenshot("server-sample");

        // Clear (after confirming) empties this workflow only, and stays empty after a reload.
        _driver.FindElement(By.Id("clear")).Click();
        WaitFor(() => IsAlertPresent());
        _driver.SwitchTo().Alert().Accept();
        WaitFor(() => _driver.FindElements(By.Id("empty")).Count == 1);
        _driver.Navigate().Refresh();
        WaitFor(() => _driver.FindElement(By.Id("messages")).GetAttribute("data-source") == "server");
        _driver.FindElements(By.CssSelector(".message")).Should().BeEmpty();
        Choose("invoices");
        WaitFor(() => Message("Fatura 42") is not null);
    }

    [Fact]
    public void The_page_runs_under_its_content_security_policy_and_a_page_of_another_origin_cannot_open_the_socket()
    {
        _driver.Navigate().GoToUrl($"{_url}/?user=origin-user&workflow=onboarding");
        WaitFor(() => _driver.FindElement(By.Id("connection")).GetAttribute("data-connected") == "true");
        var js = (IJavaScriptExecutor)_driver;

        // The CSP forbids inline script: the page works without it, and an injected inline script does not run.
        js.ExecuteScript("const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.head.append(s);");
        js.ExecuteScript("return window.inlineRan === true").Should().Be(false);
        js.ExecuteScript("return document.querySelector('link[rel=icon]').href").Should().Be($"{_url}/favicon.svg");

        // The same server under another origin (localhost vs 127.0.0.1): the browser sends Origin, the server refuses.
        var token = (string?)js.ExecuteScript("return sessionStorage.getItem('chat-token')");
        var port = new Uri(_url).Port;
        js.ExecuteScript(
            "window.crossOrigin = 'pending'; const ws = new WebSocket(arguments[0]); ws.onopen = () => window.crossOrigin = 'open'; ws.onerror = () => window.crossOrigin = 'refused';",
            $"ws://localhost:{port}/ws/chat?workflowId=onboarding&access_token={token}");
        WaitFor(() => (string?)js.ExecuteScript("return window.crossOrigin") != "pending");
        js.ExecuteScript("return window.crossOrigin").Should().Be("refused");
    }

    private void Send(string text)
    {
        var box = _driver.FindElement(By.Id("text"));
        box.Clear();
        box.SendKeys(text);
        _driver.FindElement(By.Id("send")).Click();
    }

    private void Choose(string workflow) =>
        ((IJavaScriptExecutor)_driver).ExecuteScript(
            "const s = document.getElementById('workflow'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));", workflow);

    private IWebElement? Message(string text) =>
        _driver.FindElements(By.CssSelector(".message")).FirstOrDefault(m => m.FindElement(By.CssSelector(".content")).Text == text);

    private bool IsAlertPresent()
    {
        try
        {
            _ = _driver.SwitchTo().Alert();
            return true;
        }
        catch (NoAlertPresentException)
        {
            return false;
        }
    }

    private void WaitFor(Func<bool> condition) => Chromium.WaitFor(_driver, condition);

    private void Screenshot(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(folder);
        _driver.GetScreenshot().SaveAsFile(Path.Combine(folder, name + ".png"));
    }
}
