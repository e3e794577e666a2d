using System.Globalization;
using FluentAssertions;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit;
using Xunit.Abstractions;
using static ChatPersistence.Samples.Server.Tests.ReplyTabs;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// Replies stored while they stream, in real Chromium tabs of one user on two server processes (one PostgreSQL), with a slow
/// offline assistant (200 ms a word): the answer streams on a second tab of the same instance and on a tab of the other
/// instance (their lag behind the asking tab is printed, not asserted), a refresh mid-answer shows the saved text and goes
/// on live, and Stop — pressed on the asking tab or on a tab of the other instance — keeps the partial answer, marked.
/// </summary>
[Collection("two server instances")]
public sealed class LiveReplyBrowserTests(SlowReplyInstances servers, ITestOutputHelper output) : IClassFixture<SlowReplyInstances>, IDisposable
{
    private const string Question = "Conta-me devagar uma história comprida sobre faturas, fluxos e as pessoas que os usam todos os dias";

    private readonly List<ChromeDriver> _drivers = [];

    [Fact]
    public void A_reply_streams_to_every_tab_of_the_user_on_either_instance_and_a_refreshed_tab_shows_the_saved_text_and_goes_on()
    {
        var asking = Open(_drivers, servers.First.Url, servers.Token, "onboarding");
        var sameInstance = Open(_drivers, servers.First.Url, servers.Token, "onboarding");
        var otherInstance = Open(_drivers, servers.Second.Url, servers.Token, "onboarding");

        Send(asking, Question);
        WaitFor(asking, () => Replies(asking).Count == 1);
        var id = Replies(asking)[0].Id;
        WaitFor(asking, () => Reply(asking, id)?.Reply == "complete");
        var answer = Reply(asking, id)!.Content;
        WaitFor(sameInstance, () => Reply(sameInstance, id) is { Reply: "complete" } r && r.Content == answer);
        WaitFor(otherInstance, () => Reply(otherInstance, id) is { Reply: "complete" } r && r.Content == answer);
        foreach (var (tab, name) in new[] { (asking, "the asking tab"), (sameInstance, "a tab on the same instance"), (otherInstance, "a tab on the other instance") })
        {
            Log(tab, id).Where(e => e.Status == "streaming" && e.Length > 0).Select(e => e.Length).Distinct().Should()
                .HaveCountGreaterThan(2, $"{name} showed the answer growing while it streamed, not only at its end");
        }

        var same = Lag(asking, sameInstance, id);
        var other = Lag(asking, otherInstance, id);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"lag behind the asking tab, {answer.Length} characters streamed over {Log(asking, id)[^1].At - Log(asking, id)[0].At} ms: same instance (assistant.delta) p50 {Percentile(same, 50):F0} ms, p99 {Percentile(same, 99):F0} ms ({same.Count} samples); other instance (reply.grew + GET text) p50 {Percentile(other, 50):F0} ms, p99 {Percentile(other, 99):F0} ms ({other.Count} samples)"));

        // A refresh mid-answer: the page shows the text saved so far at once and follows the rest live to the end.
        Send(asking, "E depois, o que aconteceu a seguir nessa história tão comprida de faturas?");
        WaitFor(asking, () => Replies(asking) is { Count: 2 } r && r[1] is { Status: "streaming" } s && s.Content.Length > 20);
        var second = Replies(asking)[1].Id;
        Load(asking, servers.First.Url, "onboarding");
        WaitFor(asking, () => Reply(asking, second)?.Reply == "complete");
        var afterReload = Log(asking, second);
        afterReload[0].Status.Should().Be("streaming", "the reloaded page showed the reply as still streaming");
        afterReload[0].Length.Should().BeGreaterThan(0, "the reloaded page showed the text saved so far at once");
        afterReload.Where(e => e.Status == "streaming").Select(e => e.Length).Distinct().Should().HaveCountGreaterThan(1, "it went on growing live after the reload");
        var secondAnswer = Reply(asking, second)!.Content;
        WaitFor(otherInstance, () => Reply(otherInstance, second) is { Reply: "complete" } r && r.Content == secondAnswer);
    }

    [Fact]
    public void Stop_keeps_the_partial_answer_marked_on_every_tab_when_pressed_on_the_asking_tab_or_on_a_tab_of_the_other_instance()
    {
        var asking = Open(_drivers, servers.First.Url, servers.Token, "invoices");
        var otherInstance = Open(_drivers, servers.Second.Url, servers.Token, "invoices");

        // Stop on the asking tab (the instance that generates the answer).
        Send(asking, Question);
        WaitFor(asking, () => Replies(asking) is { Count: 1 } r && r[0] is { Status: "streaming", HasStop: true } s && s.Content.Length > 15);
        var id = Replies(asking)[0].Id;
        Click(asking, $".message[data-id='{id}'] button.stop");
        ExpectStopped(asking, otherInstance, id, "invoices");

        // Stop on a tab of the other instance: the request reaches instance 2, the answer is generated on instance 1.
        Send(asking, "Outra pergunta comprida, para parar a resposta a partir do outro servidor desta vez");
        WaitFor(otherInstance, () => Replies(otherInstance) is { Count: 2 } r && r[1] is { Status: "streaming", HasStop: true } s && s.Content.Length > 15);
        var second = Replies(otherInstance)[1].Id;
        Click(otherInstance, $".message[data-id='{second}'] button.stop");
        ExpectStopped(asking, otherInstance, second, "invoices");
    }

    public void Dispose()
    {
        foreach (var driver in _drivers)
        {
            driver.Quit();
            driver.Dispose();
        }
    }

    // Both tabs end with the reply stopped, the same partial text, marked, with Retry; a reload (read from the store) shows the same.
    private void ExpectStopped(ChromeDriver asking, ChromeDriver other, string id, string workflow)
    {
        WaitFor(asking, () => Reply(asking, id)?.Reply == "stopped");
        var stopped = Reply(asking, id)!;
        stopped.Content.Should().NotBeEmpty("the text said before Stop is kept");
        stopped.Mark.Should().Be("stopped");
        stopped.HasRetry.Should().BeTrue();
        stopped.HasStop.Should().BeFalse();
        WaitFor(other, () => Reply(other, id) is { Reply: "stopped", HasRetry: true } r && r.Content == stopped.Content);
        Load(asking, servers.First.Url, workflow);
        WaitFor(asking, () => Reply(asking, id) is not null);
        Reply(asking, id).Should().BeEquivalentTo(stopped, "the stopped answer is stored as shown");
    }
}
