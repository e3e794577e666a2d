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
        var (shape, unsupported) = Negotiate(request);
        if (unsupported is not null)
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
                await ExecuteAsync(context, isRpc, schema, name, role, claims, body, shape!, afterCommit: () => { context.Abort(); return Task.CompletedTask; });
                return;
            case PostgrestFault.HangAfterCommit:
                await ExecuteAsync(context, isRpc, schema, name, role, claims, body, shape!, afterCommit: async () =>
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
                await ExecuteAsync(context, isRpc, schema, name, role, claims, body, shape!, afterCommit: null);
                return;
        }
    }

    private async Task ExecuteAsync(HttpContext context, bool isRpc, string schema, string name, string role, JsonObject claims, string body, RequestShape shape, Func<Task>? afterCommit)
    {
        var plan = isRpc ? PlanRpc(context, schema, name, body, shape) : PlanTable(context, schema, name, body, shape);
        if (plan.Error is { } error)
        {
            await ErrorAsync(context, error.Status, error.Code, error.Message, error.Details, error.Hint);
            return;
        }

        server.Executions.AddOrUpdate(name, 1, (_, n) => n + 1);
        string? result;
        long pageTotal;
        long? total;
        long? inserted;
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
                while (reader.FieldCount == 0 || reader.GetName(0) != "total")
                {
                    if (!await reader.NextResultAsync(context.RequestAborted))
                    {
                        break;
                    }
                }

                // The main query's one row (Query/Statements.hs): total_result_set, page_total, body, response_inserted.
                if (!await reader.ReadAsync(context.RequestAborted))
                {
                    throw new InvalidOperationException("The main query returned no row.");
                }

                total = reader.IsDBNull(0) ? null : reader.GetInt64(0);
                pageTotal = reader.GetInt64(1);
                result = reader.IsDBNull(2) ? null : reader.GetString(2);
                inserted = reader.IsDBNull(3) ? null : reader.GetInt64(3);
            }

            // PostgREST MainTx.hs failNotSingular: the singular media type needs exactly one row; otherwise the transaction is
            // rolled back (writes undone) and the answer is 406 PGRST116 (Error.hs SingularityError).
            if (shape.Singular && pageTotal != 1)
            {
                await transaction.RollbackAsync(context.RequestAborted);
                await ErrorAsync(context, 406, "PGRST116", "Cannot coerce the result to a single JSON object", $"The result contains {pageTotal} rows", null);
                return;
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

        await RespondAsync(context, plan, shape, schema, result, pageTotal, total, inserted);
    }

    // Status, Content-Range, Preference-Applied and body per kind of request, as PostgREST Response.hs actionResponse builds
    // them (v14.5): reads and calls take rangeStatusHeader (200, 206 when a known total exceeds the page, 416 PGRST103 when
    // the offset is past it); a create answers 201 (200 when a merge upsert inserted nothing) with Content-Range */* (or
    // */total); an update answers 204 (200 with return=representation) with Content-Range first-last/*; a delete likewise
    // with */*. A void function answers 204. HEAD answers the headers only.
    private async Task RespondAsync(HttpContext context, Plan plan, RequestShape shape, string schema, string? result, long pageTotal, long? total, long? inserted)
    {
        var response = context.Response;
        // Mutations count the rows they touched (Response.hs: Just rsQueryTotal when count=exact).
        var counted = shape.Prefer.CountExact ? pageTotal : (long?)null;
        int status;
        bool withBody;
        string range;
        switch (plan.Kind)
        {
            case PlanKind.Read or PlanKind.Call:
                {
                    var lower = plan.Offset;
                    var upper = lower + pageTotal - 1;
                    range = ContentRange(lower, upper, shape.Prefer.CountExact ? total : null);
                    status = !shape.Prefer.CountExact || total is null ? 200 : lower > total ? 416 : 1 + upper - lower < total ? 206 : 200;
                    if (status == 416)
                    {
                        response.Headers.ContentRange = range;
                        await ErrorAsync(context, 416, "PGRST103", "Requested range not satisfiable", $"An offset of {lower} was requested, but there are only {total} rows.", null);
                        return;
                    }

                    withBody = !plan.ReturnsVoid;
                    if (plan.ReturnsVoid)
                    {
                        status = 204;
                    }

                    break;
                }

            case PlanKind.Create:
                range = ContentRange(1, 0, counted);
                status = inserted is { } n && n <= 0 && shape.Prefer.Resolution == "merge-duplicates" ? 200 : 201;
                withBody = shape.Prefer.Representation;
                break;
            case PlanKind.Update:
                range = ContentRange(0, pageTotal - 1, counted);
                status = shape.Prefer.Representation ? 200 : 204;
                withBody = shape.Prefer.Representation;
                break;
            default:
                range = ContentRange(1, 0, counted);
                status = shape.Prefer.Representation ? 200 : 204;
                withBody = shape.Prefer.Representation;
                break;
        }

        response.StatusCode = status;
        response.Headers.ContentRange = range;
        var applied = AppliedPreferences(plan, shape.Prefer);
        if (applied.Length > 0)
        {
            response.Headers["Preference-Applied"] = applied;
        }

        if (!withBody)
        {
            if (plan.Kind == PlanKind.Create)
            {
                response.ContentLength = 0;
            }

            return;
        }

        response.ContentType = shape.Singular ? "application/vnd.pgrst.object+json; charset=utf-8" : "application/json; charset=utf-8";
        // With more than one exposed schema, answers name the schema they came from (ApiRequest.hs iNegotiatedByProfile =
        // length configDbSchemas /= 1; Response.hs profileHeader, sent with the Content-Type).
        if (server.Options.ExposedSchemas.Count > 1)
        {
            response.Headers["Content-Profile"] = schema;
        }

        if (shape.HeadersOnly)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(result ?? "null");
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    // RangeQuery.hs contentRangeH: "lower-upper/total", "*" for the range when it is empty or the total is 0, "*" for an
    // unknown total.
    private static string ContentRange(long lower, long upper, long? total) =>
        (total != 0 && lower <= upper ? $"{lower}-{upper}" : "*") + "/" + (total is { } t ? t.ToString(System.Globalization.CultureInfo.InvariantCulture) : "*");

    // Response.hs responsePreferences + Preferences.hs prefAppliedHeader: resolution (creates on a table with a primary key or
    // with on_conflict), return (mutations), count, handling — in that order, comma-separated.
    private static string AppliedPreferences(Plan plan, Preferences prefer)
    {
        var applied = new List<string>();
        if (plan.Kind == PlanKind.Create && plan.ResolutionApplies && prefer.Resolution is { } resolution)
        {
            applied.Add("resolution=" + resolution);
        }

        if (plan.Kind is PlanKind.Create or PlanKind.Update or PlanKind.Delete && prefer.Return is { } returned)
        {
            applied.Add("return=" + returned);
        }

        if (prefer.CountExact)
        {
            applied.Add("count=exact");
        }

        if (prefer.Handling is { } handling)
        {
            applied.Add("handling=" + handling);
        }

        return string.Join(", ", applied);
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

    // Content negotiation and preferences, before anything runs. Accept (PostgREST "Resource Representation", MediaType.hs):
    // application/json, */* and application/* answer JSON; application/vnd.pgrst.object+json the singular object (tables
    // and RPC); other types PostgREST produces (CSV, GeoJSON, plans, stripped nulls…) are not emulated (501); a type nobody
    // produces is 406 PGRST107. Prefer: see Preferences; what PostgREST knows but this server does not emulate is 501.
    private static (RequestShape? Shape, PlanError? Error) Negotiate(HttpRequest request)
    {
        var prefer = Preferences.Parse(request.Headers["Prefer"]);
        if (prefer.Unemulated is { } token)
        {
            return (null, new PlanError(501, "TEST501", $"Prefer: {token}", null, null));
        }

        bool? singular = null;
        var offered = new List<string>();
        foreach (var accept in request.Headers.Accept.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            var parts = accept.Split(';', StringSplitOptions.TrimEntries);
            var media = parts[0].ToLowerInvariant();
            offered.Add(parts[0]);
            if (parts.Skip(1).Any(p => !p.StartsWith("q=", StringComparison.Ordinal)))
            {
                // Media type parameters (nulls=stripped, the plan's options…) change the answer: not emulated.
                return (null, new PlanError(501, "TEST501", $"Accept: {accept}", null, null));
            }

            if (media is "application/json" or "*/*" or "application/*")
            {
                singular = false;
                break;
            }

            if (media is "application/vnd.pgrst.object+json" or "application/vnd.pgrst.object")
            {
                singular = true;
                break;
            }

            if (media.StartsWith("application/vnd.pgrst.", StringComparison.Ordinal) || media is "text/csv" or "application/geo+json" or "application/octet-stream" or "text/plain" or "text/xml")
            {
                return (null, new PlanError(501, "TEST501", $"Accept: {media}", null, null));
            }
        }

        if (singular is null && offered.Count > 0)
        {
            return (null, new PlanError(406, "PGRST107", $"None of these media types are available: {string.Join(", ", offered)}", null, null));
        }

        return (new RequestShape(prefer, singular == true, request.Method == "HEAD"), null);
    }

    // PostgREST "Functions as RPC": POST /rpc/fn with a JSON object whose keys are the argument names (arguments with
    // defaults may be left out), or GET/HEAD with the arguments in the query string for STABLE/IMMUTABLE functions (run READ
    // ONLY, so a VOLATILE one fails with 25006 → 405). A set-returning function answers a JSON array, a scalar one its
    // bare JSON value. No function with those argument names → 404 PGRST202. The main query has the shape of
    // Query/Statements.hs mainCall: the call in a CTE, page_total 1 for a function that does not return a set, the exact
    // count of the set when asked (count over the call's rows, before db-max-rows cuts the page).
    private Plan PlanRpc(HttpContext context, string schema, string name, string body, RequestShape shape)
    {
        var method = context.Request.Method;
        if (method is not ("POST" or "GET" or "HEAD"))
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
                // QueryParams.hs: select, columns, on_conflict, order, limit, offset, and, or are reserved (result
                // modifiers), not arguments; none is emulated on RPC.
                if (key is "select" or "columns" or "on_conflict" or "order" or "limit" or "offset" or "and" or "or")
                {
                    return NotEmulated($"query parameter '{key}' on GET /rpc");
                }

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
        string sql;
        if (function.ReturnsVoid)
        {
            // A void function answers 204 No Content with no body (PostgREST ≥ 10, Response.hs; CHANGELOG #2001).
            sql = $"select null::bigint as total, 1::bigint as page_total, null::text as body, null::bigint as inserted from {source}, lateral (select {call}) _f";
        }
        else if (function.ReturnsSet)
        {
            // SqlFragment.hs asJsonF / asJsonSingleF: json_agg of the rows ('[]' when none) — of the bare values for a set of
            // scalars (pgrst_scalar) — or its first element for the singular type; db-max-rows limits the page.
            var item = function.ReturnsComposite ? "_t" : "_t.pgrst_scalar";
            var agg = shape.Singular ? $"coalesce(json_agg({item})->0, 'null')" : $"coalesce(json_agg({item}), '[]')";
            var count = shape.Prefer.CountExact ? "(select pg_catalog.count(*) from pgrst_source)" : "null::bigint";
            var rows = function.ReturnsComposite ? "_f.*" : "_f as pgrst_scalar";
            sql = $"with pgrst_source as (select {rows} from {source}, lateral {call} _f) " +
                  $"select {count} as total, pg_catalog.count(_t) as page_total, {agg}::text as body, null::bigint as inserted " +
                  $"from (select * from pgrst_source limit {server.Options.MaxRows}) _t";
        }
        else
        {
            // One value or one composite: page_total is 1 (Statements.hs mainCall funcReturnsSingle), so the singular type
            // never fails; the body is the same for both types (json_agg(…)->0).
            var value = function.ReturnsComposite
                ? $"(select coalesce(json_agg(_r)->0, 'null') from (select _f.* from {source}, lateral {call} _f) _r)"
                : $"(select to_json({call}) from {source})";
            sql = $"select {(shape.Prefer.CountExact ? "1::bigint" : "null::bigint")} as total, 1::bigint as page_total, {value}::text as body, null::bigint as inserted";
        }

        var parameters = given.Count == 0 ? [] : new List<NpgsqlParameter> { new() { NpgsqlDbType = NpgsqlDbType.Text, Value = arguments.ToJsonString() } };
        // PostgREST "Transactions", access mode: GET/HEAD are always READ ONLY; POST is READ WRITE only for a VOLATILE
        // function (Plan.hs txMode), so a write inside a STABLE/IMMUTABLE function fails with 25006 → 405.
        return new Plan(sql, parameters, ReadOnly: method != "POST" || function.Volatility != 'v', PlanKind.Call, Error: null)
        {
            ReturnsVoid = function.ReturnsVoid,
        };
    }

    // PostgREST "Tables and Views": GET/HEAD read (select=, horizontal filters col=op.value, order, limit, offset), POST
    // inserts (object or array) or upserts (Prefer: resolution=…, on_conflict), PATCH updates and DELETE deletes the
    // filtered rows. Prefer: return=representation answers the rows (with select= picking the columns), count=exact the
    // total. The main query has the shape of Query/Statements.hs mainRead / mainWrite: the statement in a CTE
    // (pgrst_source), aggregated with json_agg. Unknown table → 404 PGRST205; unknown column → 400.
    private Plan PlanTable(HttpContext context, string schema, string name, string body, RequestShape shape)
    {
        if (server.Schema.Tables.FirstOrDefault(t => t.Schema == schema && t.Name == name) is not { } table)
        {
            return Plan.Fail(404, "PGRST205", $"Could not find the table '{schema}.{name}' in the schema cache");
        }

        var qualified = $"{Quote(schema)}.{Quote(name)}";
        var method = context.Request.Method;
        var parameters = new List<NpgsqlParameter>();
        var where = new List<string>();
        List<string>? selected = null; // null = *
        var order = new List<string>();
        List<string>? onConflict = null;
        int? limit = null;
        long offset = 0;
        // A key may repeat (name=gte.a&name=lte.z): every value is a filter of its own.
        foreach (var (key, text) in context.Request.Query.SelectMany(q => q.Value.Select(v => (q.Key, Value: v ?? ""))))
        {
            if (key == "select")
            {
                var items = text.Split(',', StringSplitOptions.TrimEntries);
                if (items.Length == 1 && items[0] == "*")
                {
                    continue;
                }

                // Aliases, casts, JSON paths, embedding and aggregates are PostgREST features this server does not emulate.
                if (items.FirstOrDefault(c => c.Length == 0 || c == "*" || c.IndexOfAny([':', '(', ')', '-', '>', '!', '.', '"']) >= 0) is { } complex)
                {
                    return NotEmulated($"select item '{complex}'");
                }

                if (items.FirstOrDefault(c => !table.Columns.ContainsKey(c)) is { } missing)
                {
                    return Plan.Fail(400, "42703", $"column {name}.{missing} does not exist");
                }

                selected = [.. items.Distinct(StringComparer.Ordinal)];
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

            if (key == "offset")
            {
                // QueryParams.hs offsetParams: readMaybe; RangeQuery.hs rangeGeq.
                if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
                {
                    return NotEmulated($"offset '{text}'");
                }

                offset = n;
                continue;
            }

            if (key == "order")
            {
                if (ParseOrder(text, table, name) is { Error: { } bad })
                {
                    return bad;
                }

                order = ParseOrder(text, table, name).Terms!;
                continue;
            }

            if (key == "on_conflict")
            {
                // QueryParams.hs pRequestOnConflict: a comma-separated column list; used as the ON CONFLICT target of a POST
                // with Prefer: resolution=…, ignored otherwise (Plan.hs mutatePlan). PostgreSQL judges the target (42703
                // unknown column, 42P10 no matching unique constraint → 400).
                onConflict = [.. text.Split(',', StringSplitOptions.TrimEntries)];
                if (onConflict.Any(c => c.Length == 0 || c.IndexOfAny(['(', ')', '"', '-', '>', ':']) >= 0))
                {
                    return NotEmulated($"on_conflict '{text}'");
                }

                continue;
            }

            if (key is "or" or "and" or "columns" || key.Contains('.', StringComparison.Ordinal))
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

        if (context.Request.Headers.ContainsKey("Range"))
        {
            return NotEmulated("the Range header (use limit and offset)");
        }

        var filter = where.Count == 0 ? "" : " where " + string.Join(" and ", where);
        var agg = shape.Singular ? "coalesce(json_agg(_t)->0, 'null')" : "coalesce(json_agg(_t), '[]')";
        var columns = selected is null ? "*" : string.Join(", ", selected.Select(Quote));
        if (method is "GET" or "HEAD")
        {
            if (onConflict is not null)
            {
                return NotEmulated("on_conflict on a read");
            }

            // db-max-rows caps the page (RangeQuery.hs restrictRange); count=exact counts the filtered rows without
            // limit/offset (Statements.hs mainRead, countF over readPlanToCountQuery).
            var rows = Math.Min(limit ?? server.Options.MaxRows, server.Options.MaxRows);
            var orderBy = order.Count == 0 ? "" : " order by " + string.Join(", ", order);
            var count = shape.Prefer.CountExact ? $"(select pg_catalog.count(*) from {qualified}{Renumber(filter, -1)})" : "null::bigint";
            return new Plan(
                $"with pgrst_source as (select {columns} from {qualified}{Renumber(filter, -1)}{orderBy} limit {rows} offset {offset}) " +
                $"select {count} as total, pg_catalog.count(_t) as page_total, {agg}::text as body, null::bigint as inserted from (select * from pgrst_source) _t",
                parameters, ReadOnly: true, PlanKind.Read, Error: null) { Offset = offset };
        }

        if (order.Count > 0 || limit is not null || offset != 0)
        {
            // PostgREST applies order/limit to PATCH and DELETE (with max-affected rules); not emulated.
            return NotEmulated($"order, limit or offset on {method}");
        }

        // RETURNING: * when the select has *, else the selected columns plus the primary key (Plan.hs inferColsEmbedNeeds);
        // with return=minimal (or none) just 1, to count the rows (SqlFragment.hs returningF).
        var returning = !shape.Prefer.Representation
            ? "1"
            : selected is null ? qualified + ".*" : string.Join(", ", selected.Concat(table.PrimaryKey).Distinct(StringComparer.Ordinal).Select(c => qualified + "." + Quote(c)));
        var outer = shape.Prefer.Representation ? columns : "*";
        string Main(string statement, string inserted) =>
            $"with pgrst_source as ({statement} returning {returning}) " +
            $"select null::bigint as total, pg_catalog.count(_t) as page_total, {(shape.Prefer.Representation ? agg + "::text" : "null::text")} as body, {inserted} as inserted " +
            $"from (select {outer} from pgrst_source) _t";

        switch (method)
        {
            case "POST":
                {
                    if (BadContentType(context) is { } bad)
                    {
                        return bad;
                    }

                    if (where.Count > 0)
                    {
                        return NotEmulated("filters on POST");
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

                    if (keys.Count == 0)
                    {
                        return NotEmulated("an insert with no columns");
                    }

                    if (keys.FirstOrDefault(k => !table.Columns.ContainsKey(k)) is { } unknown)
                    {
                        return Plan.Fail(400, "PGRST204", $"Could not find the '{unknown}' column of '{name}' in the schema cache");
                    }

                    // QueryBuilder.hs mutatePlanToQuery (Insert): the payload's keys are the columns (absent ones take their
                    // DEFAULT). With Prefer: resolution=…, ON CONFLICT on ?on_conflict= or else the primary key: DO NOTHING
                    // (ignore-duplicates), or DO UPDATE SET every payload column = EXCLUDED (merge-duplicates). A merge counts
                    // the rows really inserted in the pgrst.inserted setting (+1 per row offered, -1 per row updated;
                    // SqlFragment.hs addConfigPgrstInserted) so a merge that only updated answers 200 (Response.hs).
                    var list = string.Join(", ", keys.Select(Quote));
                    var definition = string.Join(", ", keys.Select(k => $"{Quote(k)} {table.Columns[k]}"));
                    var resolution = shape.Prefer.Resolution;
                    var target = onConflict ?? [.. table.PrimaryKey];
                    var merge = resolution == "merge-duplicates" && target.Count > 0;
                    const string Increment = "set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) + 1)::text, true) <> '0'";
                    const string Decrement = "set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) - 1)::text, true) <> '-1'";
                    var insert = $"insert into {qualified} ({list}) select {list} from json_to_recordset($1::json) as _({definition})" + (merge ? " where " + Increment : "");
                    if (resolution is not null && target.Count > 0)
                    {
                        insert += $" on conflict ({string.Join(", ", target.Select(Quote))}) " + (resolution == "ignore-duplicates"
                            ? "do nothing"
                            : $"do update set {string.Join(", ", keys.Select(k => $"{Quote(k)} = excluded.{Quote(k)}"))} where {Decrement}");
                    }

                    return new Plan(
                        Main(insert, merge ? "nullif(current_setting('pgrst.inserted', true), '')::bigint" : "null::bigint"),
                        [new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = rows.ToJsonString() }],
                        ReadOnly: false, PlanKind.Create, Error: null)
                    { ResolutionApplies = table.PrimaryKey.Count > 0 || onConflict is not null };
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
                    if (keys.Count == 0)
                    {
                        return NotEmulated("an update with no columns");
                    }

                    var definition = string.Join(", ", keys.Select(k => $"{Quote(k)} {table.Columns[k]}"));
                    var update = $"update {qualified} set {string.Join(", ", keys.Select(k => $"{Quote(k)} = _v.{Quote(k)}"))} " +
                                 $"from json_to_record($1::json) as _v({definition}){filter}";
                    parameters.Insert(0, new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = values.ToJsonString() });
                    return new Plan(Main(update, "null::bigint"), parameters, ReadOnly: false, PlanKind.Update, Error: null);
                }

            case "DELETE":
                return new Plan(Main($"delete from {qualified}{Renumber(filter, -1)}", "null::bigint"), parameters, ReadOnly: false, PlanKind.Delete, Error: null);

            case "PUT" or "OPTIONS":
                return NotEmulated($"{method} on a table");

            default:
                return Plan.Fail(405, "PGRST117", $"Unsupported HTTP method: {method}");
        }
    }

    // QueryParams.hs pOrder: comma-separated terms "column[.asc|.desc][.nullsfirst|.nullslast]" (ascending when no direction;
    // PostgreSQL's own NULLS default then). A term that does not parse → 400 PGRST100, message
    // "\"failed to parse order (…)\" (line 1, column n)" with parsec's details (the details text here is the usual case's,
    // not parsec's for every input). JSON paths and embedded-resource terms are not emulated.
    private static (List<string>? Terms, Plan? Error) ParseOrder(string text, PgTable table, string name)
    {
        var terms = new List<string>();
        var position = 0;
        foreach (var term in text.Split(','))
        {
            var dot = term.IndexOf('.', StringComparison.Ordinal);
            var column = dot < 0 ? term : term[..dot];
            if (column.IndexOfAny(['-', '>', '(', ')', '"']) >= 0)
            {
                return (null, NotEmulated($"order term '{term}'"));
            }

            // As parsec reads it: ".asc"/".desc" if there, then ".nullsfirst"/".nullslast" if there, then "," or the end.
            var rest = term[column.Length..];
            var sql = Quote(column);
            var i = 0;
            foreach (var (token, clause) in new[] { (".asc", " ASC"), (".desc", " DESC") })
            {
                if (rest.AsSpan(i).StartsWith(token, StringComparison.Ordinal))
                {
                    sql += clause;
                    i += token.Length;
                    break;
                }
            }

            foreach (var (token, clause) in new[] { (".nullsfirst", " NULLS FIRST"), (".nullslast", " NULLS LAST") })
            {
                if (rest.AsSpan(i).StartsWith(token, StringComparison.Ordinal))
                {
                    sql += clause;
                    i += token.Length;
                    break;
                }
            }

            if (column.Length == 0 || i < rest.Length)
            {
                var at = position + column.Length + i;
                var unexpected = column.Length == 0 ? (at < text.Length ? $"'{text[at]}'" : "end of input") : $"'{rest[i]}'";
                return (null, Plan.Fail(400, "PGRST100", $"\"failed to parse order ({text})\" (line 1, column {at + 1})",
                    $"unexpected {unexpected} expecting \",\" or end of input"));
            }

            if (!table.Columns.ContainsKey(column))
            {
                return (null, Plan.Fail(400, "42703", $"column {name}.{column} does not exist"));
            }

            terms.Add(sql);
            position += term.Length + 1;
        }

        return (terms, null);
    }

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
