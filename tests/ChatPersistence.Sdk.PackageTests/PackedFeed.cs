using System.Text.Json;
using System.Xml.Linq;
using Xunit;

namespace ChatPersistence.Sdk.PackageTests;

/// <summary>
/// Every project under <c>src/</c> packed once (Release, one unique pre-release version) into a folder feed in the temp
/// folder. Disposing deletes the feed and the copies of that version that restores put in the NuGet global packages folder,
/// so a run leaves neither behind.
/// </summary>
public sealed class PackedFeed : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "chatpersistence-pack-" + Guid.NewGuid().ToString("N"));

    /// <summary>The folder the packages are in.</summary>
    public string Folder => Path.Combine(_root, "feed");

    /// <summary>The version every package was packed with.</summary>
    public string Version { get; } = "0.1.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Environment.ProcessId;

    /// <summary>The package ids packed (one per project under src/).</summary>
    public IReadOnlyList<string> PackageIds { get; private set; } = [];

    /// <summary>The repository's clone.</summary>
    public static string RepositoryRoot
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

    /// <summary>The central version of a package in the repository's Directory.Packages.props (what the apps reference too).</summary>
    /// <param name="id">The package id.</param>
    /// <returns>The version.</returns>
    public static string CentralVersion(string id) =>
        XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .FirstOrDefault(e => (string?)e.Attribute("Include") == id)?.Attribute("Version")?.Value
        ?? throw new InvalidOperationException($"{id} has no version in Directory.Packages.props.");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        var projects = Directory.GetFiles(Path.Combine(RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).ToList();
        PackageIds = projects.Select(p => Path.GetFileNameWithoutExtension(p)).ToList();

        // One `dotnet pack` over a solution filter of the src/ projects: one restore, projects built in parallel.
        var filter = Path.Combine(_root, "packages.slnf");
        await File.WriteAllTextAsync(filter, JsonSerializer.Serialize(new
        {
            solution = new
            {
                path = Path.Combine(RepositoryRoot, "ChatPersistence.Sdk.sln"),
                projects = projects.Select(p => Path.GetRelativePath(RepositoryRoot, p)).ToArray(),
            },
        }));
        await Processes.RunAsync("dotnet", RepositoryRoot, TimeSpan.FromMinutes(10),
            "pack", filter, "-c", "Release", "-o", Folder, $"-p:Version={Version}", "-p:ContinuousIntegrationBuild=false");
    }

    public Task DisposeAsync()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in PackageIds)
        {
            Processes.DeleteDirectory(Path.Combine(packages, id.ToLowerInvariant(), Version.ToLowerInvariant()));
        }

        Processes.DeleteDirectory(_root);
        return Task.CompletedTask;
    }
}
