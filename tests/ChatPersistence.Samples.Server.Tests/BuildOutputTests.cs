using System.Net;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The server run from its build output in Production with a content root that has no wwwroot (as <c>dotnet build -o out;
/// cd elsewhere; dotnet out/chat-server.dll</c>): the page next to the server is served.
/// </summary>
public sealed class BuildOutputTests
{
    [Fact]
    public async Task The_page_is_served_when_the_content_root_has_no_wwwroot()
    {
        var elsewhere = Directory.CreateTempSubdirectory("chat-elsewhere-").FullName;
        try
        {
            using var server = await ServerProcess.StartAsync(
            [
                "--contentRoot", elsewhere,
                "--environment", "Production",
                "--ChatPersistence:Store", "Sqlite",
                "--ChatPersistence:Sqlite:Path", Path.Combine(elsewhere, "chat.db"),
                "--Auth:JwtSecret", "build-output-tests-secret-of-32-characters-at-least",
                "--Auth:Issuer", "https://build-output.example.test/auth/v1",
            ]);
            using var http = new HttpClient();
            var page = await http.GetAsync(server.Url + "/");
            page.StatusCode.Should().Be(HttpStatusCode.OK, server.Output);
            (await page.Content.ReadAsStringAsync()).Should().Contain("main.js");
            (await http.GetAsync(server.Url + "/transport.js")).StatusCode.Should().Be(HttpStatusCode.OK);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }
}
