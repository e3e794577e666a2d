using Npgsql;

namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// The statement a request turns into and how to answer it, or the error to answer instead. The statement returns one row
/// with the columns PostgREST's main query returns (Query/Statements.hs): <c>total</c> (the exact count, or null),
/// <c>page_total</c> (the rows in this answer), <c>body</c> (the JSON text) and <c>inserted</c> (merge upserts only).
/// </summary>
internal sealed record Plan(string Sql, IReadOnlyList<NpgsqlParameter> Parameters, bool ReadOnly, PlanKind Kind, PlanError? Error)
{
    /// <summary>The first row's position (the <c>offset</c> query parameter), for Content-Range on reads.</summary>
    public long Offset { get; init; }

    /// <summary>The function returns void: 204 with no body (PostgREST ≥ 10).</summary>
    public bool ReturnsVoid { get; init; }

    /// <summary>Whether <c>Preference-Applied</c> may echo the resolution (a table with a primary key, or <c>on_conflict</c>).</summary>
    public bool ResolutionApplies { get; init; }

    public static Plan Fail(int status, string code, string message, string? details = null, string? hint = null) =>
        new("", [], false, PlanKind.Read, new PlanError(status, code, message, details, hint));
}
