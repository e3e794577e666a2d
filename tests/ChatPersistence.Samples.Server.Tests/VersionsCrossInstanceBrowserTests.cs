using OpenQA.Selenium.Chrome;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The versions scenario (<see cref="VersionsScenario"/>) with one tab on each of two server processes sharing one
/// PostgreSQL: edit, switch back, refresh, regenerate — the tab on the other instance follows each change of path through
/// the change feed's ActivePathChanged (a `path` frame), and a refresh shows the version the store keeps active.
/// </summary>
[Collection("two server instances")]
public sealed class VersionsCrossInstanceBrowserTests(ChatInstances servers) : IClassFixture<ChatInstances>, IDisposable
{
    private const string Workflow = "versions";

    private readonly List<ChromeDriver> _drivers = [];

    [Fact]
    public void Edit_switch_back_refresh_and_regenerate_with_a_tab_on_the_other_instance_following() =>
        VersionsScenario.Run(
            ReplyTabs.Open(_drivers, servers.First.Url, servers.Token, Workflow),
            ReplyTabs.Open(_drivers, servers.Second.Url, servers.Token, Workflow),
            tab => ReplyTabs.Load(tab, servers.First.Url, Workflow));

    public void Dispose()
    {
        foreach (var driver in _drivers)
        {
            driver.Quit();
            driver.Dispose();
        }
    }
}
