using Npgsql;

namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>The statement a request turns into, how to answer it, or the error to answer instead.</summary>
internal sealed record Plan(
    string Sql,
    IReadOnlyList<NpgsqlParameter> Parameters,
    bool ReadOnly,
    int SuccessStatus,
    bool ReturnBody,
    bool ContentRange,
    PlanError? Error)
{
    public static Plan Fail(int status, string code, string message, string? details = null, string? hint = null) =>
        new("", [], false, status, false, false, new PlanError(status, code, message, details, hint));
}
