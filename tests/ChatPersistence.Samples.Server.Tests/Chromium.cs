using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>Headless Debian Chromium driven by Selenium for the browser tests; a loud failure, with the install command, when it is missing.</summary>
internal static class Chromium
{
    private const string Browser = "/usr/bin/chromium";
    private const string Driver = "/usr/bin/chromedriver";

    public static ChromeDriver Start()
    {
        if (!File.Exists(Browser) || !File.Exists(Driver))
        {
            throw new InvalidOperationException(
                $"The browser tests need Debian's Chromium and its driver ({Browser}, {Driver}). Install them: apt-get install -y chromium chromium-driver (bash .ci/run does).");
        }

        var options = new ChromeOptions { BinaryLocation = Browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>Polls <paramref name="condition"/> (a stale element counts as not yet) for up to 20 seconds.</summary>
    public static void WaitFor(IWebDriver driver, Func<bool> condition, int pollMilliseconds = 50) =>
        new WebDriverWait(driver, TimeSpan.FromSeconds(20)) { PollingInterval = TimeSpan.FromMilliseconds(pollMilliseconds) }
            .Until(_ =>
            {
                try
                {
                    return condition();
                }
                catch (StaleElementReferenceException)
                {
                    return false;
                }
            });
}
