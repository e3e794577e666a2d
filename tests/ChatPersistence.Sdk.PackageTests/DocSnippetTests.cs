using System.Text;
using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.PackageTests;

/// <summary>
/// Every C# block of the README and docs compiles as written, as the Program.cs of a fresh app that references exactly the
/// packages the page told the reader to add (<c>dotnet add package …</c> lines above it), restored from the packed feed:
/// every <c>using</c> and every package a user needs is in the doc. All blocks build in one <c>dotnet build</c>.
/// </summary>
[Collection(PackedFeedGroup.Name)]
public sealed partial class DocSnippetTests(PackedFeed feed)
{
    [Fact]
    public async Task Every_csharp_block_of_the_readme_and_docs_compiles_as_written()
    {
        var snippets = DocSnippet.ReadAll(PackedFeed.RepositoryRoot);
        snippets.Should().HaveCountGreaterThan(15, "the README and docs have C# blocks");
        var root = Path.Combine(Path.GetTempPath(), "chatpersistence-snippets-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(root);
            await FreshApp.WriteNuGetConfigAsync(root, feed);
            var solution = new StringBuilder("<Solution>\n");
            for (var i = 0; i < snippets.Count; i++)
            {
                var snippet = snippets[i];
                var folder = Path.Combine(root, $"s{i:00}");
                Directory.CreateDirectory(folder);
                var references = string.Join("\n", snippet.Packages.Select(p => $"""    <PackageReference Include="{p.Id}" Version="{VersionOf(p, snippet)}" />"""));
                await File.WriteAllTextAsync(Path.Combine(folder, $"s{i:00}.csproj"), $"""
                    <Project Sdk="{(snippet.IsWeb ? "Microsoft.NET.Sdk.Web" : "Microsoft.NET.Sdk")}">
                      <PropertyGroup>
                        <OutputType>Exe</OutputType>
                        <TargetFramework>net10.0</TargetFramework>
                        <ImplicitUsings>enable</ImplicitUsings>
                        <Nullable>enable</Nullable>
                      </PropertyGroup>
                      <ItemGroup>
                    {references}
                      </ItemGroup>
                    </Project>
                    """);
                await File.WriteAllTextAsync(Path.Combine(folder, "Program.cs"), snippet.Code);
                solution.Append($"  <Project Path=\"s{i:00}/s{i:00}.csproj\" />\n");
            }

            await File.WriteAllTextAsync(Path.Combine(root, "snippets.slnx"), solution.Append("</Solution>\n").ToString());
            var (exitCode, output) = await BuildAsync(root);

            var errors = Error().Matches(output).Select(m => Describe(m, snippets)).Distinct().ToList();
            errors.Should().BeEmpty($"every C# block must compile as written (exit code {exitCode})");
            exitCode.Should().Be(0, output);
        }
        finally
        {
            Processes.DeleteDirectory(root);
        }
    }

    private string VersionOf((string Id, string? Version) package, DocSnippet snippet) =>
        package.Version
        ?? (package.Id.StartsWith("ChatPersistence.Sdk", StringComparison.Ordinal) ? feed.Version : null)
        ?? TryCentralVersion(package.Id)
        ?? throw new InvalidOperationException($"{snippet}: `dotnet add package {package.Id}` names no --version and the repository pins none.");

    private static string? TryCentralVersion(string id)
    {
        try
        {
            return PackedFeed.CentralVersion(id);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    // "…/s03/Program.cs(12,5): error CS0103: …" → "docs/x.md:40: CS0103: …" (the block's line plus the error's line).
    private static string Describe(Match error, IReadOnlyList<DocSnippet> snippets)
    {
        var snippet = snippets[int.Parse(error.Groups["index"].Value)];
        var line = error.Groups["line"].Success ? snippet.Line + int.Parse(error.Groups["line"].Value) - 1 : snippet.Line;
        return $"{snippet.Document}:{line}: {error.Groups["message"].Value.Trim()}";
    }

    private static async Task<(int ExitCode, string Output)> BuildAsync(string root)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "build", "snippets.slnx", "-nologo", "-clp:NoSummary", "-v", "q" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"[/\\]s(?<index>\d\d)[/\\](?:Program\.cs\((?<line>\d+),\d+\)|s\d\d\.csproj)?[^:]*: error (?<message>[^\[\r\n]*)")]
    private static partial Regex Error();
}
