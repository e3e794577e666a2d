using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Npgsql;
using NpgsqlTypes;

namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>Handles one request the way Supabase's gateway and PostgREST would (see the comments for the documents followed).</summary>
internal sealed class PostgrestHandler(PostgrestTestServer server)
{
    private const string RestPrefix = "/rest/v1/";
    private static readonly string[] FilterOperators = ["eq", "neq", "gt", "gte", "lt", "lte", "is"];

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var path = request.Path.Value ?? "";
        if (server.Options.RecordRequests)
        {
            server.Requests.Enqueue(new RecordedRequest(
                request.Method,
                path,
                request.QueryString.Value ?? "",
                request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal),
                body));
        }

        // Supabase Auth publishes the project's signing keys (Supabase "JWT Signing Keys": {url}/auth/v1/.well-known/jwks.json,
        // discovery at …/openid-configuration); no API key is needed to read them.
        if (request.Method == "GET" && path == "/auth/v1/.well-known/jwks.json")
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(server.SigningKeys.JwksJson(), context.RequestAborted);
            return;
        }

        if (request.Method == "GET" && path == "/auth/v1/.well-known/openid-configuration")
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                new JsonObject { ["issuer"] = server.Issuer, ["jwks_uri"] = server.Issuer + "/.well-known/jwks.json" }.ToJsonString(), context.RequestAborted);
            return;
        }

        // Supabase's API gateway routes /rest/v1/* to PostgREST (Supabase self-hosting docker/volumes/api/kong.yml, route
        // "rest-v1"); anything else has no route: Kong answers 404 {"message":"no Route matched with those values"}.
        if (!path.StartsWith(RestPrefix, StringComparison.Ordinal))
        {
            await GatewayErrorAsync(context, 404, "no Route matched with those values", null);
            return;
        }

        var gateway = Gateway(request);
        if (gateway.Error is { } refused)
        {
            await GatewayErrorAsync(context, 401, refused.Message, refused.Hint);
            return;
        }

        // PostgREST "Authentication": only `Authorization: Bearer <JWT>` carries a token (any other value, or none, means the
        // anonymous role, db-anon-role); the role claim selects the database role, no role claim means anon; the claims GUC
        // always carries the role. Tokens are checked by JwtVerifier (HS256 legacy secret, ES256/RS256 JWKS). JWT errors:
        // 401 PGRST301 (invalid) / PGRST303 (claims, e.g. expired), with WWW-Authenticate: Bearer error="invalid_token".
        string role;
        JsonObject claims;
        var authorization = gateway.Authorization;
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            role = server.Options.AnonRole;
            claims = new JsonObject { ["role"] = role };
        }
        else
        {
            var token = authorization.Length > 7 ? authorization[7..].Trim() : "";
            if (token.Length == 0)
            {
                await JwtErrorAsync(context, "PGRST301", "Empty JWT is sent in Authorization header");
                return;
            }

            var verified = await server.Verifier.VerifyAsync(token);
            if (verified.Claims is null)
            {
                await JwtErrorAsync(context, verified.Code!, verified.Message!);
                return;
            }

            claims = verified.Claims;
            role = claims["role"] is JsonValue r && r.TryGetValue<string>(out var named) && named.Length > 0 ? named : server.Options.AnonRole;
            claims["role"] = role;
        }

        // PostgREST "Schemas": the profile header picks one of db-schemas (Accept-Profile for GET/HEAD, Content-Profile
        // for POST/PATCH/PUT/DELETE); without it the first exposed schema; any other → 406 PGRST106 (ApiRequest.hs getSchema).
        var profile = request.Headers[request.Method is "GET" or "HEAD" ? "Accept-Profile" : "Content-Profile"].FirstOrDefault();
        var schema = profile ?? server.Options.ExposedSchemas[0];
        if (!server.Options.ExposedSchemas.Contains(schema, StringComparer.Ordinal))
        {
            await ErrorAsync(context, 406, "PGRST106", $"Invalid schema: {schema}", null, $"Only the following schemas are exposed: {string.Join(", ", server.Options.ExposedSchemas)}");
            return;
        }

        var resource = path[RestPrefix.Length..];
        var isRpc = resource.StartsWith("rpc/", StringComparison.Ordinal);
        var name = isRpc ? resource[4..] : resource;
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal))
        {
            await NotEmulatedAsync(context, $"path {path}");
            return;
        }

        // Strictness: what this server does not emulate is refused, never guessed.
        if (Unemulated(request, isRpc) is { } unsupported)
        {
            if (unsupported.Status == 501)
            {
                await NotEmulatedAsync(context, unsupported.Message);
            }
            else
            {
                await ErrorAsync(context, unsupported.Status, unsupported.Code, unsupported.Message, unsupported.Details, unsupported.Hint);
            }

            return;
        }

        switch (server.TakeFault(name))
        {
            case PostgrestFault.ServiceUnavailable:
                await ErrorAsync(context, 503, "PGRST001", "Database client error. Retrying the connection.", "injected fault", null);
                return;
            case PostgrestFault.ServiceUnavailableWithRetryAfter:
                context.Response.Headers.RetryAfter = "1";
                await ErrorAsync(context, 503, "PGRST001", "Database client error. Retrying the connection.", "injected fault", null);
                return;
            case PostgrestFault.Deadlock:
                await ErrorAsync(context, 500, "40P01", "deadlock detected", "injected fault", null);
                return;
            case PostgrestFault.InternalError:
                await ErrorAsync(context, 500, "XX000", "internal error", "injected fault", null);
                return;
            case PostgrestFault.DropConnectionAfterCommit:
                await ExecuteAsync(context, isRpc, schema, name, role, claims, body, afterCommit: () => { context.Abort(); return Task.CompletedTask; });
                return;
            case PostgrestFault.HangAfterCommit:
                await ExecuteAsync(context, isRpc, schema, name, role, claims, body, afterCommit: async () =>
                {
                    try
                    {
                        await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                        context.Abort();
                    }
                });
                return;
            default:
                await ExecuteAsync(context, isRpc, schema, name, role, claims, body, afterCommit: null);
                return;
        }
    }

    private async Task ExecuteAsync(HttpContext context, bool isRpc, string schema, string name, string role, JsonObject claims, string body, Func<Task>? afterCommit)
    {
        var plan = isRpc ? PlanRpc(context, schema, name, body) : PlanTable(context, schema, name, body);
        if (plan.Error is { } error)
        {
            await ErrorAsync(context, error.Status, error.Code, error.Message, error.Details, error.Hint);
            return;
        }

        server.Executions.AddOrUpdate(name, 1, (_, n) => n + 1);
        string? result;
        try
        {
            await using var connection = await server.DataSource.OpenConnectionAsync(context.RequestAborted);
            await using var transaction = await connection.BeginTransactionAsync(context.RequestAborted);
            await using (var batch = new NpgsqlBatch(connection, transaction))
            {
                // PostgREST "Transactions": one transaction per request; before the statement, transaction-locally, the role,
                // the JWT claims and the request's method, path, headers and cookies are set as GUCs; GET runs READ ONLY.
                if (plan.ReadOnly)
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("set transaction read only"));
                }

                // The impersonated role's own settings (ALTER ROLE … SET, e.g. Supabase's statement_timeout 8 s for
                // authenticated) are applied in the same set_config select, before the role switch (PreQuery.hs txVarQuery).
                var roleSettings = server.Schema.RoleSettings.TryGetValue(role, out var found) ? found : [];
                var setup = new NpgsqlBatchCommand(
                    $"select set_config('search_path', $6, true), " +
                    string.Concat(roleSettings.Select((_, i) => $"set_config(${7 + (2 * i)}, ${8 + (2 * i)}, true), ")) +
                    "set_config('role', $1, true), " +
                    "set_config('request.jwt.claims', $2, true), set_config('request.method', $3, true), " +
                    "set_config('request.path', $4, true), set_config('request.headers', $5, true), set_config('request.cookies', '{}', true)");
                setup.Parameters.Add(new NpgsqlParameter { Value = role });
                setup.Parameters.Add(new NpgsqlParameter { Value = claims.ToJsonString() });
                setup.Parameters.Add(new NpgsqlParameter { Value = context.Request.Method });
                setup.Parameters.Add(new NpgsqlParameter { Value = context.Request.Path.Value ?? "" });
                setup.Parameters.Add(new NpgsqlParameter { Value = HeadersJson(context.Request) });
                // db-schemas plus db-extra-search-path (Supabase: public, extensions).
                setup.Parameters.Add(new NpgsqlParameter { Value = string.Join(", ", new[] { schema, "public", "extensions" }.Distinct().Select(Quote)) });
                foreach (var (key, value) in roleSettings)
                {
                    setup.Parameters.Add(new NpgsqlParameter { Value = key });
                    setup.Parameters.Add(new NpgsqlParameter { Value = value });
                }

                batch.BatchCommands.Add(setup);
                var statement = new NpgsqlBatchCommand(plan.Sql);
                foreach (var parameter in plan.Parameters)
                {
                    statement.Parameters.Add(parameter);
                }

                batch.BatchCommands.Add(statement);
                await using var reader = await batch.ExecuteReaderAsync(context.RequestAborted);
                while (reader.FieldCount == 0 || reader.GetName(0) != "body")
                {
                    if (!await reader.NextResultAsync(context.RequestAborted))
                    {
                        break;
                    }
                }

                result = await reader.ReadAsync(context.RequestAborted) && !reader.IsDBNull(0) ? reader.GetString(0) : null;
            }

            await transaction.CommitAsync(context.RequestAborted);
        }
        catch (PostgresException ex)
        {
            await ErrorAsync(context, PostgrestStatus.For(ex.SqlState, role == server.Options.AnonRole), ex.SqlState, ex.MessageText, ex.Detail, ex.Hint);
            return;
        }
        catch (NpgsqlException ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // PostgREST "Errors", group 0: PGRST001, 503 — a database client error (connection lost); PostgREST reconnects.
            await ErrorAsync(context, 503, "PGRST001", "Database client error. Retrying the connection.", ex.Message, null);
            return;
        }

        if (afterCommit is not null)
        {
            await afterCommit();
            return;
        }

        context.Response.StatusCode = plan.SuccessStatus;
        if (plan.ContentRange)
        {
            var count = result is null ? 0 : JsonNode.Parse(result)!.AsArray().Count;
            context.Response.Headers.ContentRange = count == 0 ? "*/*" : $"0-{count - 1}/*";
        }

        if (plan.ReturnBody)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(result ?? "null", context.RequestAborted);
        }
    }

    // Supabase's gateway (Kong key-auth + request-transformer; Supabase "API keys" guide; docker/volumes/api/kong-entrypoint.sh
    // LUA_AUTH_EXPR): the apikey header (or query parameter) must be a project key. sb_publishable_ / sb_secret_ keys are not
    // JWTs: with no user token the gateway replaces Authorization with a short-lived JWT of the key's role (anon /
    // service_role) signed with the project's current key; an Authorization that is not "Bearer sb_…" (a user's token) passes
    // through. Hosted Supabase accepts an sb_ key as the bearer only when it equals apikey ("Known limitations"). A secret key
    // sent from a browser (its User-Agent) is refused. Legacy JWT keys pass apikey through as the Authorization value when the
    // client sent none — not "Bearer …", so PostgREST sees no token (anon); clients send the key as the bearer themselves.
    private (string? Authorization, (string Message, string? Hint)? Error) Gateway(HttpRequest request)
    {
        var apiKey = request.Headers["apikey"].FirstOrDefault() ?? request.Query["apikey"].FirstOrDefault();
        if (string.IsNullOrEmpty(apiKey))
        {
            return (null, ("No API key found in request", "No `apikey` request header or url param was found."));
        }

        var invalid = ("Invalid API key", (string?)"Double check your Supabase `anon` or `service_role` API key.");
        var opaqueRole = apiKey == server.PublishableKey ? "anon" : apiKey == server.SecretKey ? "service_role" : null;
        if (opaqueRole is null && apiKey != server.AnonKey && apiKey != server.ServiceRoleKey)
        {
            return (null, invalid);
        }

        if (apiKey == server.SecretKey && request.Headers.UserAgent.ToString().Contains("Mozilla/", StringComparison.Ordinal))
        {
            return (null, ("Forbidden use of secret API key in browser", "Secret API keys can only be used in a protected environment and should never be used in a browser."));
        }

        var authorization = request.Headers.Authorization.FirstOrDefault();
        if (!string.IsNullOrEmpty(authorization) && !authorization.StartsWith("Bearer sb_", StringComparison.Ordinal))
        {
            return (authorization, null);
        }

        if (!string.IsNullOrEmpty(authorization) && authorization["Bearer ".Length..] != apiKey)
        {
            return (null, invalid);
        }

        return opaqueRole is null ? (apiKey, null) : ("Bearer " + RoleToken(opaqueRole), null);
    }

    private string RoleToken(string role) => server.RoleTokens.GetOrAdd(role, r => server.SigningKeys.Sign(new JsonObject
    {
        ["iss"] = "supabase",
        ["role"] = r,
        ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["exp"] = DateTimeOffset.UtcNow.AddHours(12).ToUnixTimeSeconds(),
    }));

    // What the server does not emulate answers 501 (or PostgREST's own error where the request is plainly unacceptable):
    // every Prefer token other than return=representation|minimal on table writes (PostgREST "Prefer Header"), the singular
    // or any other non-JSON Accept type (PostgREST "Resource Representation"; unknown types are 406 PGRST107).
    private static PlanError? Unemulated(HttpRequest request, bool isRpc)
    {
        var tableWrite = !isRpc && request.Method is "POST" or "PATCH" or "DELETE";
        foreach (var token in request.Headers["Prefer"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!(tableWrite && token is "return=representation" or "return=minimal"))
            {
                return new PlanError(501, "TEST501", $"Prefer: {token}", null, null);
            }
        }

        foreach (var accept in request.Headers.Accept.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            var media = accept.Split(';')[0].Trim();
            if (media is "application/json" or "*/*" or "application/*")
            {
                continue;
            }

            return media.StartsWith("application/vnd.pgrst.", StringComparison.Ordinal) || media is "text/csv" or "application/geo+json" or "application/octet-stream" or "text/plain" or "text/xml"
                ? new PlanError(501, "TEST501", $"Accept: {media}", null, null)
                : new PlanError(406, "PGRST107", $"None of these media types are available: {media}", null, null);
        }

        return null;
    }

    // PostgREST "Functions as RPC": POST /rpc/fn with a JSON object whose keys are the argument names (arguments with
    // defaults may be left out), or GET with the arguments in the query string for STABLE/IMMUTABLE functions (run READ
    // ONLY, so a VOLATILE one fails with 25006 → 405). A set-returning function answers a JSON array, a scalar one its
    // bare JSON value. No function with those argument names → 404 PGRST202.
    private Plan PlanRpc(HttpContext context, string schema, string name, string body)
    {
        var method = context.Request.Method;
        if (method is not ("POST" or "GET"))
        {
            return Plan.Fail(405, "PGRST101", $"Cannot use the {method} method on RPC");
        }

        JsonObject arguments;
        if (method == "POST")
        {
            // On POST the query string holds filters, select, order… for the function's result; none is emulated.
            if (context.Request.QueryString.HasValue)
            {
                return NotEmulated("query parameters on POST /rpc (result filters, select, order, limit)");
            }

            if (BadContentType(context) is { } bad)
            {
                return bad;
            }

            if (string.IsNullOrWhiteSpace(body))
            {
                arguments = [];
            }
            else
            {
                try
                {
                    arguments = JsonNode.Parse(body) as JsonObject ?? throw new JsonException();
                }
                catch (JsonException)
                {
                    return Plan.Fail(400, "PGRST102", "Empty or invalid json");
                }
            }
        }
        else
        {
            arguments = [];
            foreach (var (key, value) in context.Request.Query)
            {
                arguments[key] = value.ToString();
            }
        }

        var keys = arguments.Select(a => a.Key).ToHashSet(StringComparer.Ordinal);
        var named = server.Schema.Functions.Where(f => f.Schema == schema && f.Name == name).ToList();
        var candidates = named.Where(f => keys.IsSubsetOf(f.ArgumentNames) && f.RequiredArguments.All(keys.Contains)).ToList();
        if (candidates.Count == 0)
        {
            var sorted = string.Join(", ", keys.Order(StringComparer.Ordinal));
            return Plan.Fail(404, "PGRST202",
                $"Could not find the function {schema}.{name}({sorted}) in the schema cache",
                $"Searched for the function {schema}.{name} with parameters {sorted} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
                named.Count > 0 ? $"Perhaps you meant to call the function {schema}.{name}({string.Join(", ", named[0].ArgumentNames)})" : null);
        }

        if (candidates.Count > 1)
        {
            // PostgREST "Errors": PGRST203, 300 Multiple Choices (Plan.hs findProc, Error.hs AmbiguousRpc).
            return Plan.Fail(300, "PGRST203",
                $"Could not choose the best candidate function between: {string.Join(", ", candidates.Select(c => $"{schema}.{name}({string.Join(", ", c.ArgumentNames.Select((n, i) => $"{n} => {c.ArgumentTypes[i]}"))})"))}",
                null, "Try renaming the parameters or the function itself in the database so function overloading can be resolved");
        }

        var function = candidates[0];
        var given = function.ArgumentNames.Select((n, i) => (Name: n, Type: function.ArgumentTypes[i])).Where(a => keys.Contains(a.Name)).ToList();
        var source = given.Count == 0
            ? "(select 1) _args"
            : $"json_to_record($1::json) as _args({string.Join(", ", given.Select(a => $"{Quote(a.Name)} {a.Type}"))})";
        var call = $"{Quote(schema)}.{Quote(name)}({string.Join(", ", given.Select(a => $"{Quote(a.Name)} := _args.{Quote(a.Name)}"))})";
        var sql = function.ReturnsSet
            ? $"select coalesce(json_agg(_r), '[]'::json)::text as body from (select _f.* from {source}, lateral {call} _f limit {server.Options.MaxRows}) _r"
            : function.ReturnsComposite
                ? $"select row_to_json(_f)::text as body from {source}, lateral {call} _f"
                : $"select to_json({call})::text as body from {source}";
        if (function.ReturnsVoid)
        {
            // A void function answers 204 No Content with no body (PostgREST ≥ 10, Response.hs; CHANGELOG #2001).
            sql = $"select null::text as body from {source}, lateral (select {call}) _f";
        }

        var parameters = given.Count == 0 ? [] : new List<NpgsqlParameter> { new() { NpgsqlDbType = NpgsqlDbType.Text, Value = arguments.ToJsonString() } };
        // PostgREST "Transactions", access mode: GET is always READ ONLY; POST is READ WRITE only for a VOLATILE function
        // (Plan.hs txMode), so a write inside a STABLE/IMMUTABLE function fails with 25006 → 405.
        return new Plan(sql, parameters, ReadOnly: method == "GET" || function.Volatility != 'v',
            SuccessStatus: function.ReturnsVoid ? 204 : 200, ReturnBody: !function.ReturnsVoid, ContentRange: false, Error: null);
    }

    // PostgREST "Tables and Views": GET reads (select=, horizontal filters col=op.value, limit), POST inserts (object or
    // array; Prefer: return=representation answers the rows, otherwise 201 with no body), PATCH updates and DELETE deletes
    // the filtered rows (204, or 200 with return=representation). Unknown table → 404 PGRST205; unknown column → 400.
    private Plan PlanTable(HttpContext context, string schema, string name, string body)
    {
        if (server.Schema.Tables.FirstOrDefault(t => t.Schema == schema && t.Name == name) is not { } table)
        {
            return Plan.Fail(404, "PGRST205", $"Could not find the table '{schema}.{name}' in the schema cache");
        }

        var qualified = $"{Quote(schema)}.{Quote(name)}";
        if (context.Request.Method != "GET" && context.Request.Query.ContainsKey("select"))
        {
            return NotEmulated("select on a write (return=representation with a column list)");
        }

        var method = context.Request.Method;
        var representation = context.Request.Headers["Prefer"].ToString().Contains("return=representation", StringComparison.Ordinal);
        var parameters = new List<NpgsqlParameter>();
        var where = new List<string>();
        var columns = "*";
        int? limit = null;
        foreach (var (key, value) in context.Request.Query)
        {
            var text = value.ToString();
            if (key == "select")
            {
                var selected = text.Split(',', StringSplitOptions.TrimEntries);
                if (selected.Length == 1 && selected[0] == "*")
                {
                    continue;
                }

                if (selected.FirstOrDefault(c => !table.Columns.ContainsKey(c)) is { } missing)
                {
                    return Plan.Fail(400, "42703", $"column {name}.{missing} does not exist");
                }

                columns = string.Join(", ", selected.Select(Quote));
                continue;
            }

            if (key == "limit")
            {
                if (!int.TryParse(text, out var n) || n < 0)
                {
                    return Plan.Fail(400, "PGRST100", $"\"failed to parse limit parameter ({text})\"");
                }

                limit = n;
                continue;
            }

            if (key is "order" or "offset" or "or" or "and" or "columns" or "on_conflict")
            {
                return NotEmulated($"query parameter '{key}'");
            }

            if (!table.Columns.TryGetValue(key, out var type))
            {
                return Plan.Fail(400, "42703", $"column {name}.{key} does not exist");
            }

            var dot = text.IndexOf('.', StringComparison.Ordinal);
            var op = dot < 0 ? text : text[..dot];
            var operand = dot < 0 ? "" : text[(dot + 1)..];
            if (!FilterOperators.Contains(op))
            {
                return dot < 0
                    ? Plan.Fail(400, "PGRST100", $"\"failed to parse filter ({text})\"")
                    : NotEmulated($"filter operator '{op}'");
            }

            if (op == "is")
            {
                if (operand is not ("null" or "true" or "false"))
                {
                    return Plan.Fail(400, "PGRST100", $"\"failed to parse filter (is.{operand})\"");
                }

                where.Add($"{Quote(key)} is {operand}");
                continue;
            }

            parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = operand });
            var sqlOp = op switch { "eq" => "=", "neq" => "<>", "gt" => ">", "gte" => ">=", "lt" => "<", _ => "<=" };
            where.Add($"{Quote(key)} {sqlOp} ${parameters.Count + 1}::text::{type}");
        }

        var filter = where.Count == 0 ? "" : " where " + string.Join(" and ", where);
        switch (method)
        {
            case "GET":
                {
                    var rows = Math.Min(limit ?? server.Options.MaxRows, server.Options.MaxRows);
                    return new Plan(
                        $"select coalesce(json_agg(_r), '[]'::json)::text as body from (select {columns} from {qualified}{Renumber(filter, -1)} limit {rows}) _r",
                        parameters, ReadOnly: true, SuccessStatus: 200, ReturnBody: true, ContentRange: true, Error: null);
                }

            case "POST":
                {
                    if (BadContentType(context) is { } bad)
                    {
                        return bad;
                    }

                    JsonArray rows;
                    try
                    {
                        var node = JsonNode.Parse(body);
                        rows = node switch
                        {
                            JsonArray array => array,
                            JsonObject obj => [obj.DeepClone()],
                            _ => throw new JsonException(),
                        };
                    }
                    catch (JsonException)
                    {
                        return Plan.Fail(400, "PGRST102", "Empty or invalid json");
                    }

                    var keys = rows.OfType<JsonObject>().FirstOrDefault()?.Select(p => p.Key).ToList() ?? [];
                    if (rows.Any(r => r is not JsonObject o || !o.Select(p => p.Key).ToHashSet().SetEquals(keys)))
                    {
                        return Plan.Fail(400, "PGRST102", "All object keys must match");
                    }

                    if (keys.FirstOrDefault(k => !table.Columns.ContainsKey(k)) is { } unknown)
                    {
                        return Plan.Fail(400, "PGRST204", $"Could not find the '{unknown}' column of '{name}' in the schema cache");
                    }

                    var list = string.Join(", ", keys.Select(Quote));
                    var definition = string.Join(", ", keys.Select(k => $"{Quote(k)} {table.Columns[k]}"));
                    var insert = $"insert into {qualified} ({list}) select {list} from json_to_recordset($1::json) as _({definition})";
                    return new Plan(
                        representation
                            ? $"with _w as ({insert} returning *) select coalesce(json_agg(_w), '[]'::json)::text as body from _w"
                            : $"with _w as ({insert} returning 1) select null::text as body from (select count(*) from _w) _c",
                        [new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = rows.ToJsonString() }],
                        ReadOnly: false, SuccessStatus: 201, ReturnBody: representation, ContentRange: false, Error: null);
                }

            case "PATCH":
                {
                    if (BadContentType(context) is { } bad)
                    {
                        return bad;
                    }

                    JsonObject values;
                    try
                    {
                        values = JsonNode.Parse(body) as JsonObject ?? throw new JsonException();
                    }
                    catch (JsonException)
                    {
                        return Plan.Fail(400, "PGRST102", "Empty or invalid json");
                    }

                    if (values.Select(p => p.Key).FirstOrDefault(k => !table.Columns.ContainsKey(k)) is { } unknown)
                    {
                        return Plan.Fail(400, "PGRST204", $"Could not find the '{unknown}' column of '{name}' in the schema cache");
                    }

                    var keys = values.Select(p => p.Key).ToList();
                    var definition = string.Join(", ", keys.Select(k => $"{Quote(k)} {table.Columns[k]}"));
                    var update = $"update {qualified} set {string.Join(", ", keys.Select(k => $"{Quote(k)} = _v.{Quote(k)}"))} " +
                                 $"from json_to_record($1::json) as _v({definition}){filter}";
                    parameters.Insert(0, new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = values.ToJsonString() });
                    return Write(update, parameters, representation, qualified);
                }

            case "DELETE":
                {
                    return Write($"delete from {qualified}{Renumber(filter, -1)}", parameters, representation, name);
                }

            default:
                return Plan.Fail(405, "PGRST117", $"Unsupported HTTP method: {method}");
        }
    }

    private static Plan Write(string statement, List<NpgsqlParameter> parameters, bool representation, string qualified) => new(
        representation
            ? $"with _w as ({statement} returning {qualified}.*) select coalesce(json_agg(_w), '[]'::json)::text as body from _w"
            : $"with _w as ({statement} returning 1) select null::text as body from (select count(*) from _w) _c",
        parameters, ReadOnly: false, SuccessStatus: representation ? 200 : 204, ReturnBody: representation, ContentRange: false, Error: null);

    // Filters are numbered from $2 (leaving $1 for a body); statements without a body renumber them from $1.
    private static string Renumber(string filter, int delta)
    {
        if (filter.Length == 0)
        {
            return filter;
        }

        var result = new StringBuilder();
        for (var i = 0; i < filter.Length; i++)
        {
            if (filter[i] == '$')
            {
                var j = i + 1;
                while (j < filter.Length && char.IsAsciiDigit(filter[j]))
                {
                    j++;
                }

                result.Append('$').Append(int.Parse(filter.AsSpan(i + 1, j - i - 1)) + delta);
                i = j - 1;
            }
            else
            {
                result.Append(filter[i]);
            }
        }

        return result.ToString();
    }

    // PostgREST accepts application/json request bodies (and other types this server does not emulate); a body of an
    // unsupported media type → 415 PGRST107 (PostgREST "Errors", group 1).
    private static Plan? BadContentType(HttpContext context)
    {
        var contentType = context.Request.ContentType;
        if (string.IsNullOrEmpty(contentType))
        {
            return null; // PostgREST defaults to application/json.
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return Plan.Fail(415, "PGRST107", $"Content-Type not acceptable: {contentType}");
        }

        return media.MediaType switch
        {
            "application/json" => null,
            "application/x-www-form-urlencoded" or "text/csv" or "text/plain" or "application/octet-stream" => NotEmulated($"Content-Type {media.MediaType}"),
            _ => Plan.Fail(415, "PGRST107", $"Content-Type not acceptable: {media.MediaType}"),
        };
    }

    private static Plan NotEmulated(string what) =>
        Plan.Fail(501, "TEST501", $"The PostgREST test server does not emulate {what}; extend it (and cite the PostgREST doc) before relying on it.");

    private static Task NotEmulatedAsync(HttpContext context, string what)
    {
        var plan = NotEmulated(what).Error!;
        return ErrorAsync(context, plan.Status, plan.Code, plan.Message, null, null);
    }

    private static string HeadersJson(HttpRequest request)
    {
        var headers = new JsonObject();
        foreach (var (key, value) in request.Headers)
        {
            headers[key.ToLowerInvariant()] = value.ToString();
        }

        return headers.ToJsonString();
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static Task JwtErrorAsync(HttpContext context, string code, string message)
    {
        // PostgREST answers JWT errors with a WWW-Authenticate challenge (RFC 6750 §3).
        context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{message}\"";
        return ErrorAsync(context, 401, code, message, null, null);
    }

    // PostgREST's error body: {"code", "details", "hint", "message"}, application/json; charset=utf-8 (PostgREST "Errors").
    private static async Task ErrorAsync(HttpContext context, int status, string code, string message, string? details, string? hint)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var json = new JsonObject { ["code"] = code, ["details"] = details, ["hint"] = hint, ["message"] = message };
        await context.Response.WriteAsync(json.ToJsonString(), context.RequestAborted);
    }

    // The gateway's own error body: {"message": ...} (Kong), with a "hint" on hosted Supabase's 401s (POSTGREST.md §S).
    private static async Task GatewayErrorAsync(HttpContext context, int status, string message, string? hint)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new JsonObject { ["message"] = message };
        if (hint is not null)
        {
            body["hint"] = hint;
        }

        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
