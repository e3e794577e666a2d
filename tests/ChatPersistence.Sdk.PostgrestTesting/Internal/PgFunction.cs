namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// A function in the schema cache: its schema, input arguments (names, types), how many have defaults, its result shape and
/// volatility (<c>v</c>olatile, <c>s</c>table, <c>i</c>mmutable).
/// </summary>
internal sealed record PgFunction(
    string Schema,
    string Name,
    IReadOnlyList<string> ArgumentNames,
    IReadOnlyList<string> ArgumentTypes,
    int DefaultCount,
    bool ReturnsSet,
    bool ReturnsComposite,
    bool ReturnsVoid,
    char Volatility)
{
    /// <summary>The arguments a call must name: those without defaults (defaults are always the trailing ones in PostgreSQL).</summary>
    public IEnumerable<string> RequiredArguments => ArgumentNames.Take(ArgumentNames.Count - DefaultCount);
}
