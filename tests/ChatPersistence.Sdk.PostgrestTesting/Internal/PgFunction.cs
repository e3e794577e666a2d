namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>A function in the schema cache: its input arguments (names, types), how many have defaults, and its result shape.</summary>
internal sealed record PgFunction(
    string Name,
    IReadOnlyList<string> ArgumentNames,
    IReadOnlyList<string> ArgumentTypes,
    int DefaultCount,
    bool ReturnsSet,
    bool ReturnsComposite,
    char Volatility)
{
    /// <summary>The arguments a call must name: those without defaults (defaults are always the trailing ones in PostgreSQL).</summary>
    public IEnumerable<string> RequiredArguments => ArgumentNames.Take(ArgumentNames.Count - DefaultCount);
}
