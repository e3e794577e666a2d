namespace ChatPersistence.Sdk.PackageTests;

/// <summary>
/// A new console (or web) app in its own temp folder, outside the repository (none of its build settings apply), that
/// restores the packages it names from the packed feed and nuget.org's copy, as a user's app would.
/// </summary>
public sealed class FreshApp : IDisposable
{
    private FreshApp(string folder) => Folder = folder;

    /// <summary>The app's folder.</summary>
    public string Folder { get; }

    /// <summary>Writes the app: a project file with <paramref name="packages"/> and <paramref name="program"/> as Program.cs.</summary>
    /// <param name="feed">The packed feed.</param>
    /// <param name="program">The top-level program.</param>
    /// <param name="packages">Package ids and versions (the feed's version for ours).</param>
    /// <param name="web">Whether the app is an ASP.NET Core app (Microsoft.NET.Sdk.Web).</param>
    /// <param name="extraProperties">More MSBuild properties, e.g. <c>&lt;NoWarn&gt;</c>.</param>
    /// <returns>The app.</returns>
    public static async Task<FreshApp> CreateAsync(PackedFeed feed, string program, IEnumerable<(string Id, string Version)> packages, bool web = false, string extraProperties = "")
    {
        var app = new FreshApp(Path.Combine(Path.GetTempPath(), "chatpersistence-app-" + Guid.NewGuid().ToString("N")));
        Directory.CreateDirectory(app.Folder);
        await WriteNuGetConfigAsync(app.Folder, feed);
        var references = string.Join("\n", packages.Select(p => $"""    <PackageReference Include="{p.Id}" Version="{p.Version}" />"""));
        await File.WriteAllTextAsync(Path.Combine(app.Folder, "app.csproj"), $"""
            <Project Sdk="{(web ? "Microsoft.NET.Sdk.Web" : "Microsoft.NET.Sdk")}">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                {extraProperties}
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app.Folder, "Program.cs"), program);
        return app;
    }

    /// <summary>Writes a nuget.config that adds the packed feed to the machine's package sources, for every project below <paramref name="folder"/>.</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="feed">The packed feed.</param>
    /// <returns>A task.</returns>
    public static Task WriteNuGetConfigAsync(string folder, PackedFeed feed) =>
        File.WriteAllTextAsync(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="chatpersistence-local-feed" value="{feed.Folder}" />
              </packageSources>
            </configuration>
            """);

    /// <summary>Builds the app (restoring from the feed).</summary>
    /// <returns>The build's output.</returns>
    public Task<string> BuildAsync() => Processes.RunAsync("dotnet", Folder, TimeSpan.FromMinutes(5), "build", "-nologo", "-v", "q");

    /// <summary>Builds and runs the app with <paramref name="environment"/>; a non-zero exit fails the test.</summary>
    /// <param name="environment">Variables for the app (connection strings, URLs).</param>
    /// <returns>What it printed.</returns>
    public Task<string> RunAsync(IReadOnlyDictionary<string, string>? environment = null) =>
        Processes.RunAsync("dotnet", Folder, TimeSpan.FromMinutes(5), environment ?? new Dictionary<string, string>(), "run", "-nologo");

    /// <summary>The app's package graph, as <c>dotnet list package --include-transitive</c> prints it (after a restore).</summary>
    /// <returns>The listing.</returns>
    public Task<string> ListPackagesAsync() =>
        Processes.RunAsync("dotnet", Folder, TimeSpan.FromMinutes(2), "list", "package", "--include-transitive");

    /// <inheritdoc />
    public void Dispose() => Processes.DeleteDirectory(Folder);
}
