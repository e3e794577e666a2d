using System.Collections.ObjectModel;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The assistant's Markdown in real Chromium: a model answer (streamed in chunks by <see cref="ScriptedMarkdownModel"/>) with
/// a nested list, a code block, a table and a &lt;script&gt; / &lt;img onerror&gt; / javascript: link payload renders as list,
/// code, table and text; mid-stream its unclosed code fence is already a code block; Copy puts the code on the clipboard and says
/// Copied; no injected script ran, no CSP violation happened and the CSP header is the reviewed one; a reload renders the
/// stored reply the same way. User messages stay plain text.
/// </summary>
public sealed class MarkdownBrowserTests : IAsyncLifetime, IDisposable
{
    /// <summary>The policy as reviewed: Markdown rendering needs nothing more (no inline script or style, no other origin).</summary>
    public const string ReviewedPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-server-markdown-" + Guid.NewGuid().ToString("N"));
    private readonly ScriptedMarkdownModel _model = new();
    private WebApplication _app = null!;
    private ChromeDriver _driver = null!;
    private string _url = null!;

    public async Task InitializeAsync()
    {
        _driver = Chromium.Start();
        Directory.CreateDirectory(_folder);
        _app = ChatServer.Build(["--environment", "Development", "--urls", "http://127.0.0.1:0", "--ChatPersistence:Sqlite:Path", Path.Combine(_folder, "chat.db")],
            builder =>
            {
                builder.WebHost.UseContentRoot(AppContext.BaseDirectory).UseWebRoot(Path.Combine(AppContext.BaseDirectory, "wwwroot"));
                builder.Services.AddSingleton<IChatClient>(_model);
            });
        await _app.StartAsync();
        _url = _app.Urls.First();
    }

    public void Dispose() => _driver?.Dispose();

    public async Task DisposeAsync()
    {
        _model.Release();
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
    public async Task A_markdown_answer_renders_as_lists_code_and_text_with_a_working_copy_button_and_no_script_runs()
    {
        using (var http = new HttpClient())
        {
            var page = await http.GetAsync(_url + "/");
            page.Headers.GetValues("Content-Security-Policy").Should().Equal(ReviewedPolicy);
        }

        Load();
        var question = "Show me a plan <b>with</b> **markdown**";
        Js("document.getElementById('text').value = arguments[0]; document.getElementById('send').click();", question);

        // Mid-stream: the list is a list and the fence, not closed yet, is already a code block with the code so far.
        WaitFor(() => (bool)Js("""
            const m = document.querySelector('#messages .message.assistant[data-status="streaming"]');
            const code = m && m.querySelector('.code-block[data-open="true"] code');
            return code !== null && code.textContent.startsWith('var total = items.Sum');
            """)!);
        ((long)Js("return document.querySelectorAll('#messages .message.assistant ul > li').length")!).Should().Be(2);
        _model.Release();
        WaitFor(() => (string?)Js("return document.querySelector('#messages .message.assistant')?.dataset.status") == "saved");

        ExpectRendered();

        // The user's message is plain text (its Markdown and markup shown as typed).
        ((string)Js("return document.querySelector('#messages .message.user .content').textContent")!).Should().Be(question);
        ((long)Js("return document.querySelectorAll('#messages .message.user .content *').length")!).Should().Be(0);

        // Copy: the clipboard gets the code, the button says so.
        _driver.ExecuteCdpCommand("Browser.grantPermissions", new Dictionary<string, object?>
        {
            ["origin"] = _url,
            ["permissions"] = new[] { "clipboardReadWrite", "clipboardSanitizedWrite" },
        });
        _driver.FindElement(By.CssSelector("#messages .message.assistant .code-block button.copy")).Click();
        WaitFor(() => _driver.FindElement(By.CssSelector("#messages .message.assistant .code-block button.copy")).GetAttribute("data-copied") == "true");
        _driver.FindElement(By.CssSelector("#messages .message.assistant .code-block button.copy")).Text.Should().Be("Copied");
        var clipboard = (string)_driver.ExecuteAsyncScript("const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('read failed: ' + e));")!;
        clipboard.Should().Be(ScriptedMarkdownModel.Code);

        // A reload renders the stored reply the same way.
        Load();
        WaitFor(() => (long)Js("return document.querySelectorAll('#messages .message.assistant[data-status=\"saved\"]').length")! == 1);
        ExpectRendered();
    }

    private void ExpectRendered()
    {
        const string Reply = "#messages .message.assistant .content";
        ((long)Js($"return document.querySelectorAll('{Reply} > ul > li').length")!).Should().Be(2);
        ((string)Js($"return document.querySelector('{Reply} > ul > li strong').textContent")!).Should().Be("step");
        ((string)Js($"return document.querySelector('{Reply} > ul > li > ol > li').textContent")!).Should().Be("nested detail");
        ((long)Js($"return document.querySelectorAll('{Reply} .code-block').length")!).Should().Be(1);
        ((string?)Js($"return document.querySelector('{Reply} .code-block').getAttribute('data-open')")).Should().BeNull("the fence closed");
        ((string)Js($"return document.querySelector('{Reply} .code-block pre code').textContent")!).Should().Be(ScriptedMarkdownModel.Code);
        ((string)Js($"return document.querySelector('{Reply} .code-block code').dataset.lang")!).Should().Be("csharp");

        // A table, aligned by class (the CSP allows no style attribute).
        ((long)Js($"return document.querySelectorAll('{Reply} table tbody tr').length")!).Should().Be(2);
        ((string)Js($"return [...document.querySelectorAll('{Reply} table th')].map(c => c.textContent + ':' + c.className).join(',')")!).Should().Be("Step:align-left,Cost:align-right");

        // The payload is text: no element from it, nothing ran, the bad link is not a link.
        ((long)Js("return document.querySelectorAll('#messages script, #messages img, #messages b').length")!).Should().Be(0);
        Js("return window.markdownHacked === undefined").Should().Be(true);
        var text = (string)Js($"return document.querySelector('{Reply}').textContent")!;
        text.Should().Contain("<script>window.markdownHacked = true</script>").And.Contain("<img src=x onerror=\"window.markdownHacked = true\">")
            .And.Contain("[a bad link](javascript:window.markdownHacked=true)");
        var links = ((ReadOnlyCollection<object>)Js($"return [...document.querySelectorAll('{Reply} a')].map(a => [a.getAttribute('href'), a.rel, a.target, a.textContent])")!)
            .Cast<ReadOnlyCollection<object>>().Select(l => string.Join("|", l)).ToList();
        links.Should().Equal("https://example.com/docs|noopener noreferrer|_blank|the docs");
        ((long)Js("return window.cspViolations.length")!).Should().Be(0, "rendering needed nothing the policy forbids");
    }

    private void Load()
    {
        _driver.Navigate().GoToUrl($"{_url}/?user=markdown-user&workflow=onboarding");
        Js("window.cspViolations = []; document.addEventListener('securitypolicyviolation', e => window.cspViolations.push(e.violatedDirective));");
        WaitFor(() => _driver.FindElement(By.Id("connection")).GetAttribute("data-connected") == "true");
    }

    private object? Js(string script, params object[] args) => _driver.ExecuteScript(script, args);

    private void WaitFor(Func<bool> condition) => Chromium.WaitFor(_driver, condition);
}
