using System.Diagnostics;
using System.IO.Compression;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Tests;

/// <summary>
/// The packed ChatPersistence.Sdk package is complete (README, license, XML docs, symbols) and a fresh console project can
/// consume it from a local folder feed and call AddChatPersistence().UseInMemory().
/// </summary>
public sealed class PackageConsumptionTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "chatpersistence-pack-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_fresh_console_project_consumes_the_packed_package()
    {
        var feed = Path.Combine(_root, "feed");
        var version = "0.1.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        await RunAsync("dotnet", RepositoryRoot, "pack", Path.Combine("src", "ChatPersistence.Sdk", "ChatPersistence.Sdk.csproj"),
            "-c", "Release", "-o", feed, $"-p:Version={version}", "-p:ContinuousIntegrationBuild=false");

        var package = Path.Combine(feed, $"ChatPersistence.Sdk.{version}.nupkg");
        File.Exists(Path.Combine(feed, $"ChatPersistence.Sdk.{version}.snupkg")).Should().BeTrue("symbols are published");
        using (var zip = ZipFile.OpenRead(package))
        {
            zip.Entries.Select(e => e.FullName).Should().Contain(["README.md", "LICENSE", "lib/net10.0/ChatPersistence.Sdk.dll", "lib/net10.0/ChatPersistence.Sdk.xml"]);
        }

        var app = Path.Combine(_root, "app");
        Directory.CreateDirectory(app);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ChatPersistence.Sdk" Version="{version}" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.0" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using ChatPersistence.Sdk;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddChatPersistence().UseInMemory();
            using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IChatSessionStore>();
            var session = await store.GetOrCreateSessionAsync("alice", "wf");
            await store.AppendMessagesAsync("alice", session.Id, [NewChatMessage.User("Olá do pacote")]);
            var page = await store.GetMessagesAsync("alice", session.Id);
            Console.WriteLine($"consumed: {page.Messages.Count} {page.Messages[0].Content}");
            """);

        var output = await RunAsync("dotnet", app, "run");

        output.Should().Contain("consumed: 1 Olá do pacote");
    }

    private static string RepositoryRoot
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(dir, "ChatPersistence.Sdk.sln")))
            {
                dir = Path.GetDirectoryName(dir.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("Repository root not found.");
            }

            return dir;
        }
    }

    private static async Task<string> RunAsync(string program, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Keep the child build independent of the test host's MSBuild settings.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        process.ExitCode.Should().Be(0, $"`{program} {string.Join(' ', args)}` failed:\n{output}");
        return output;
    }
}
