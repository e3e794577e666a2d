using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// Versions in real Chromium, two tabs of one user (issue 27): edit a question with the pencil → ‹ 2 / 2 › and a new
/// answer; ‹ back to 1 / 2 shows the old question and its old answer; a refresh keeps the chosen version; ↻ regenerates an
/// answer (‹ 2 / 2 › on it); the other tab follows every change of path (<see cref="VersionsScenario"/>). Here the server
/// runs in-process on the in-memory store; <see cref="VersionsCrossInstanceBrowserTests"/> runs the same scenario on two
/// server processes and one PostgreSQL.
/// </summary>
public sealed class VersionsBrowserTests : IAsyncLifetime, IDisposable
{
    private readonly List<ChromeDriver> _drivers = [];
    private WebApplication _app = null!;
    private string _url = null!;

    public async Task InitializeAsync()
    {
        _app = ChatServer.Build(["--environment", "Development", "--urls", "http://127.0.0.1:0", "--ChatPersistence:Store", "InMemory", "--Chat:OfflineWordDelay", "00:00:00.005"],
            builder => builder.WebHost.UseContentRoot(AppContext.BaseDirectory).UseWebRoot(Path.Combine(AppContext.BaseDirectory, "wwwroot")));
        await _app.StartAsync();
        _url = _app.Urls.First();
    }

    public void Dispose()
    {
        foreach (var driver in _drivers)
        {
            driver.Dispose();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var driver in _drivers)
        {
            driver.Quit();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public void Edit_switch_back_refresh_and_regenerate_with_the_other_tab_following() =>
        VersionsScenario.Run(Open(), Open(), Load);

    private ChromeDriver Open()
    {
        var driver = Chromium.Start();
        _drivers.Add(driver);
        Load(driver);
        return driver;
    }

    private void Load(ChromeDriver driver)
    {
        driver.Navigate().GoToUrl($"{_url}/?user=versions-user&workflow=onboarding");
        Chromium.WaitFor(driver, () => driver.FindElement(By.Id("connection")).GetAttribute("data-connected") == "true");
    }
}
