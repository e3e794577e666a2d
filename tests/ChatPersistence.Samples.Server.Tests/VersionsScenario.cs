using System.Collections.ObjectModel;
using FluentAssertions;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The versions scenario in two Chromium tabs of one user (issue 27): edit a question with the pencil → ‹ 2 / 2 › and a new
/// answer; ‹ back to 1 / 2 shows the old question and its old answer; a refresh keeps the chosen version; › from the other
/// tab; ↻ regenerates an answer (‹ 2 / 2 › on it), ‹ back from the other tab; each tab follows every change of path.
/// </summary>
internal static class VersionsScenario
{
    /// <summary>Runs the scenario on two signed-in tabs of one user (fresh workflow); <paramref name="reload"/> reloads a tab and waits until it is connected.</summary>
    public static void Run(ChromeDriver asking, ChromeDriver other, Action<ChromeDriver> reload)
    {

        Send(asking, "Primeira pergunta");
        WaitFor(asking, () => Shown(asking) is { Count: 2 } s && s[1].Status == "saved");
        Send(asking, "Segunda pergunta");
        WaitFor(asking, () => Shown(asking) is { Count: 4 } s && s[3].Status == "saved");
        var original = Shown(asking);
        var oldAnswer = original[3];
        oldAnswer.Content.Should().Contain("Segunda pergunta");
        WaitFor(other, () => Ids(Shown(other)).SequenceEqual(Ids(original)));

        // ✎ on the second question: edit in the composer, resend → ‹ 2 / 2 › and a new answer to the edited question.
        Click(asking, $".message[data-id='{original[2].Id}'] button.edit");
        ((string)Js(asking, "return document.getElementById('text').value")!).Should().Be("Segunda pergunta");
        Js(asking, "document.getElementById('text').value = 'Segunda pergunta, editada'; document.getElementById('send').click();");
        WaitFor(asking, () => Shown(asking) is { Count: 4 } s && s[2] is { Content: "Segunda pergunta, editada", Position: "2 / 2", Status: "saved" }
            && s[3].Status == "saved" && s[3].Content.Contains("editada", StringComparison.Ordinal));
        var edited = Shown(asking);
        edited[0].Id.Should().Be(original[0].Id);
        edited[1].Id.Should().Be(original[1].Id);
        edited[3].Id.Should().NotBe(oldAnswer.Id);
        WaitFor(other, () => Shown(other).SequenceEqual(edited));

        // ‹ back to 1 / 2: the old question and its old answer, on both tabs.
        Click(asking, $".message[data-id='{edited[2].Id}'] button.prev-version");
        WaitFor(asking, () => Shown(asking) is { Count: 4 } s && s[2] is { Content: "Segunda pergunta", Position: "1 / 2" } && s[3].Id == oldAnswer.Id);
        Shown(asking)[3].Content.Should().Be(oldAnswer.Content);
        WaitFor(other, () => Shown(other).SequenceEqual(Shown(asking)));

        // A refresh keeps the chosen version (the store keeps the active leaf).
        reload(asking);
        WaitFor(asking, () => Shown(asking) is { Count: 4 } s && s[2] is { Content: "Segunda pergunta", Position: "1 / 2" } && s[3].Id == oldAnswer.Id);

        // › forward again from the other tab: the asking tab follows.
        Click(other, $".message[data-id='{original[2].Id}'] button.next-version");
        WaitFor(asking, () => Shown(asking) is { Count: 4 } s && s[2] is { Content: "Segunda pergunta, editada", Position: "2 / 2" } && s[3].Id == edited[3].Id);

        // ↻ on the answer: another answer to the same question, ‹ 2 / 2 › on it; the first answer is one click away.
        Click(asking, $".message[data-id='{edited[3].Id}'] button.regenerate");
        WaitFor(asking, () => Shown(asking) is { Count: 4 } s && s[3].Id != edited[3].Id && s[3] is { Status: "saved", Position: "2 / 2" });
        var regenerated = Shown(asking)[3];
        WaitFor(other, () => Shown(other) is { Count: 4 } s && s[3] == regenerated);
        Click(other, $".message[data-id='{regenerated.Id}'] button.prev-version");
        WaitFor(asking, () => Shown(asking) is { Count: 4 } s && s[3].Id == edited[3].Id && s[3].Position == "1 / 2");
    }

    internal static void Send(ChromeDriver driver, string text) =>
        Js(driver, "document.getElementById('text').value = arguments[0]; document.getElementById('send').click();", text);

    internal static void Click(ChromeDriver driver, string selector) => WaitFor(driver, () =>
    {
        driver.FindElement(By.CssSelector(selector)).Click();
        return true;
    });

    internal static object? Js(ChromeDriver driver, string script, params object[] args) => driver.ExecuteScript(script, args);

    internal static List<Message> Shown(ChromeDriver driver) =>
        [.. ((ReadOnlyCollection<object>)Js(driver, """
            return [...document.querySelectorAll('#messages .message')].map(m =>
              [m.dataset.id, m.dataset.role, m.dataset.status, m.querySelector('.content').textContent, m.querySelector('.versions .position')?.textContent ?? '']);
            """)!).Cast<ReadOnlyCollection<object>>().Select(r => new Message((string)r[0], (string)r[1], (string)r[2], (string)r[3], (string)r[4]))];

    internal static IEnumerable<string> Ids(List<Message> messages) => messages.Select(m => m.Id);

    internal static void WaitFor(ChromeDriver driver, Func<bool> condition) => Chromium.WaitFor(driver, condition);

    /// <summary>One message as a tab shows it: id, role, client status, text, and "i / n" when it has versions.</summary>
    internal sealed record Message(string Id, string Role, string Status, string Content, string Position);
}
