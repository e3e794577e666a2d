using System.Collections.ObjectModel;
using System.Globalization;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// Chromium tabs of the chat page for the live-reply tests: open signed in, send, read the assistant's replies as shown
/// (text, client status, stored status), and a recorder that logs, in the page, when each reply was first shown at each
/// length — the lag of one tab behind another is read from the two pages' clocks (one machine, one clock).
/// </summary>
internal static class ReplyTabs
{
    // window.replyLog: [time, id, length, status, reply] each time an assistant message's shown text or status changes.
    private const string Recorder = """
        window.replyLog = [];
        window.replyLast = {};
        const record = () => {
          const now = Date.now();
          for (const m of document.querySelectorAll('#messages .message[data-role="assistant"]')) {
            const length = m.querySelector('.content').textContent.length;
            const key = length + '|' + m.dataset.status + '|' + (m.dataset.reply || '');
            if (window.replyLast[m.dataset.id] !== key) {
              window.replyLast[m.dataset.id] = key;
              window.replyLog.push([now, m.dataset.id, length, m.dataset.status, m.dataset.reply || '']);
            }
          }
        };
        new MutationObserver(record).observe(document.getElementById('messages'), { childList: true, subtree: true, characterData: true });
        record();
        """;

    public static ChromeDriver Open(List<ChromeDriver> drivers, string origin, string token, string workflow)
    {
        var driver = Chromium.Start();
        drivers.Add(driver);
        driver.Navigate().GoToUrl(origin + "/favicon.svg");
        driver.ExecuteScript("sessionStorage.setItem('chat-token', arguments[0])", token);
        Load(driver, origin, workflow);
        return driver;
    }

    /// <summary>Loads (or reloads) the page on a workflow, waits until it is connected and starts the recorder.</summary>
    public static void Load(ChromeDriver driver, string origin, string workflow)
    {
        driver.Navigate().GoToUrl(origin + "/?workflow=" + workflow);
        WaitFor(driver, () => driver.FindElement(By.Id("connection")).GetAttribute("data-connected") == "true");
        driver.ExecuteScript(Recorder);
    }

    public static void Send(ChromeDriver driver, string text) =>
        driver.ExecuteScript("document.getElementById('text').value = arguments[0]; document.getElementById('send').click();", text);

    /// <summary>Clicks an element as a user would, again if the page re-rendered it meanwhile.</summary>
    public static void Click(ChromeDriver driver, string selector) => WaitFor(driver, () =>
    {
        driver.FindElement(By.CssSelector(selector)).Click();
        return true;
    });

    /// <summary>The assistant replies shown, in order.</summary>
    public static List<Shown> Replies(ChromeDriver driver) =>
        [.. ((ReadOnlyCollection<object>)driver.ExecuteScript("""
            return [...document.querySelectorAll('#messages .message[data-role="assistant"]')].map(m =>
              [m.dataset.id, m.querySelector('.content').textContent, m.dataset.status, m.dataset.reply || '',
               m.querySelector('button.stop') !== null, m.querySelector('button.retry-reply') !== null,
               m.querySelector('.status').textContent]);
            """)!).Cast<ReadOnlyCollection<object>>().Select(r => new Shown((string)r[0], (string)r[1], (string)r[2], (string)r[3], (bool)r[4], (bool)r[5], (string)r[6]))];

    public static Shown? Reply(ChromeDriver driver, string id) => Replies(driver).FirstOrDefault(r => r.Id == id);

    /// <summary>The recorder's log for one reply: when the tab first showed it at each length and status.</summary>
    public static List<(long At, int Length, string Status, string Reply)> Log(ChromeDriver driver, string id) =>
        [.. ((ReadOnlyCollection<object>)driver.ExecuteScript("return window.replyLog")!).Cast<ReadOnlyCollection<object>>()
            .Where(r => (string)r[1] == id)
            .Select(r => (Convert.ToInt64(r[0], CultureInfo.InvariantCulture), Convert.ToInt32(r[2], CultureInfo.InvariantCulture), (string)r[3], (string)r[4]))];

    /// <summary>
    /// How far <paramref name="follower"/> was behind <paramref name="leader"/> showing the reply: for each length the follower
    /// showed, the time since the leader first showed at least that much.
    /// </summary>
    public static List<double> Lag(ChromeDriver leader, ChromeDriver follower, string id)
    {
        var led = Log(leader, id);
        var lags = new List<double>();
        foreach (var (at, length, _, _) in Log(follower, id).Where(e => e.Length > 0))
        {
            if (led.FirstOrDefault(e => e.Length >= length) is { At: > 0 } first)
            {
                lags.Add(at - first.At);
            }
        }

        return lags;
    }

    public static double Percentile(List<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    public static void WaitFor(ChromeDriver driver, Func<bool> condition) => Chromium.WaitFor(driver, condition, pollMilliseconds: 25);

    /// <summary>One assistant message as a tab shows it.</summary>
    public sealed record Shown(string Id, string Content, string Status, string Reply, bool HasStop, bool HasRetry, string Mark);
}
