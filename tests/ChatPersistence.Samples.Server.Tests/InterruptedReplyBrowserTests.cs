using FluentAssertions;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit;
using static ChatPersistence.Samples.Server.Tests.ReplyTabs;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The instance generating an answer is killed (SIGKILL) mid-answer: the partial answer stays, and once its 5 s lease has
/// passed every open tab — the asking one, reconnected through the load balancer to the other instance, and a tab of the
/// other instance — shows it interrupted with Retry; Retry there gets a new, complete answer.
/// </summary>
[Collection("two server instances")]
public sealed class InterruptedReplyBrowserTests(SlowReplyInstances servers) : IClassFixture<SlowReplyInstances>, IDisposable
{
    private readonly List<ChromeDriver> _drivers = [];

    [Fact]
    public void Killing_the_answering_instance_leaves_the_partial_answer_interrupted_with_Retry_on_every_open_tab()
    {
        using var proxy = FailoverProxy.Start(servers.First.Port, servers.Second.Port);
        var asking = Open(_drivers, proxy.Url, servers.Token, "support");
        var otherInstance = Open(_drivers, servers.Second.Url, servers.Token, "support");

        Send(asking, "Uma pergunta comprida sobre suporte, para que a resposta demore vários segundos a chegar");
        WaitFor(otherInstance, () => Replies(otherInstance) is { Count: 1 } r && r[0] is { Status: "streaming" } s && s.Content.Length > 0);
        var id = Replies(otherInstance)[0].Id;
        servers.First.Kill();

        WaitFor(otherInstance, () => Reply(otherInstance, id) is { Reply: "interrupted", HasRetry: true, Mark: "interrupted" });
        WaitFor(asking, () => Reply(asking, id) is { Reply: "interrupted", HasRetry: true });
        var partial = Reply(otherInstance, id)!.Content;
        partial.Should().NotBeEmpty("the text stored before the crash is kept");
        Reply(asking, id)!.Content.Should().Be(partial, "both tabs show the stored text");

        Click(otherInstance, $".message[data-id='{id}'] button.retry-reply");
        WaitFor(otherInstance, () => Replies(otherInstance) is { Count: 2 } r && r[1].Reply == "complete");
        var retried = Replies(otherInstance)[1];
        retried.Content.Should().StartWith("(offline assistant)", "Retry produced a new answer");
        WaitFor(asking, () => Reply(asking, retried.Id) is { Reply: "complete" } r && r.Content == retried.Content);
        Reply(otherInstance, id)!.Reply.Should().Be("interrupted", "the interrupted answer stays, marked, above the new one");
    }

    public void Dispose()
    {
        foreach (var driver in _drivers)
        {
            driver.Quit();
            driver.Dispose();
        }
    }
}
