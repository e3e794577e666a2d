namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// SQLSTATE → HTTP status, exactly PostgREST's documented table (PostgREST "Errors" reference, "HTTP Status Codes";
/// https://docs.postgrest.org/en/stable/references/errors.html). <c>PTxyz</c> becomes status xyz ("RAISE errors with HTTP
/// Status Codes"); 42501 is 401 for the anonymous role and 403 otherwise.
/// </summary>
internal static class PostgrestStatus
{
    public static int For(string sqlState, bool anonymous)
    {
        if (sqlState.Length == 5 && sqlState.StartsWith("PT", StringComparison.Ordinal) && int.TryParse(sqlState.AsSpan(2), out var custom))
        {
            return custom;
        }

        return sqlState switch
        {
            "23503" or "23505" => 409,
            "25006" => 405,
            "53400" => 500,
            "P0001" => 400,
            "42883" or "42P01" => 404,
            "42P17" => 500,
            "42501" => anonymous ? 401 : 403,
            _ => sqlState[..2] switch
            {
                "08" => 503,
                "09" => 500,
                "0L" or "0P" => 403,
                "25" => 500,
                "28" => 403,
                "2D" or "38" or "39" or "3B" or "40" => 500,
                "53" => 503,
                "54" or "55" or "57" or "58" or "F0" or "HV" or "P0" or "XX" => 500,
                _ => 400,
            },
        };
    }
}
