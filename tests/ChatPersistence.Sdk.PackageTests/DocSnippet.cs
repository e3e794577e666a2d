using System.Text.RegularExpressions;

namespace ChatPersistence.Sdk.PackageTests;

/// <summary>
/// One C# block of the README or a doc page, with the packages a reader has added by then: every
/// <c>dotnet add package Id [--version V]</c> line of the page's shell blocks above it.
/// </summary>
/// <param name="Document">The page, relative to the repository root.</param>
/// <param name="Line">The line of the block's first code line in the page.</param>
/// <param name="Code">The block's code.</param>
/// <param name="Packages">The packages named above it, with the version given there, if any.</param>
public sealed partial record DocSnippet(string Document, int Line, string Code, IReadOnlyList<(string Id, string? Version)> Packages)
{
    /// <summary>Whether the block is an ASP.NET Core app (compiled with Microsoft.NET.Sdk.Web).</summary>
    public bool IsWeb => Code.Contains("WebApplication", StringComparison.Ordinal);

    /// <summary>Every C# block of README.md and docs/*.md, in page order.</summary>
    /// <param name="repositoryRoot">The repository's clone.</param>
    /// <returns>The blocks.</returns>
    public static IReadOnlyList<DocSnippet> ReadAll(string repositoryRoot)
    {
        var pages = new[] { Path.Combine(repositoryRoot, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(repositoryRoot, "docs"), "*.md").Order(StringComparer.Ordinal));
        var snippets = new List<DocSnippet>();
        foreach (var page in pages)
        {
            var text = File.ReadAllText(page).ReplaceLineEndings("\n");
            var packages = new List<(string Id, string? Version)>();
            foreach (Match block in Fence().Matches(text))
            {
                var language = block.Groups["lang"].Value;
                var code = block.Groups["code"].Value;
                if (language is "bash" or "sh" or "shell" or "console")
                {
                    foreach (Match add in AddPackage().Matches(code))
                    {
                        packages.Add((add.Groups["id"].Value, add.Groups["version"].Success ? add.Groups["version"].Value : null));
                    }
                }
                else if (language is "csharp" or "cs" or "c#")
                {
                    var line = text[..block.Groups["code"].Index].Count(c => c == '\n') + 1;
                    snippets.Add(new DocSnippet(Path.GetRelativePath(repositoryRoot, page), line, code, [.. packages]));
                }
            }
        }

        return snippets;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Document}:{Line}";

    [GeneratedRegex(@"^```(?<lang>[A-Za-z#]*)[^\n]*\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"dotnet add package (?<id>[A-Za-z0-9_.\-]+)(?:\s+(?:--version|-v)\s+(?<version>[^\s#]+))?")]
    private static partial Regex AddPackage();
}
