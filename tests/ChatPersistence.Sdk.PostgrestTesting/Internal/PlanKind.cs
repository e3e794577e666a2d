namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// What a request does, which decides its status and headers (PostgREST Response.hs <c>actionResponse</c>: a read, an RPC
/// call, or a mutation — create, update, delete).
/// </summary>
internal enum PlanKind
{
    /// <summary>GET or HEAD on a table or view.</summary>
    Read,

    /// <summary>GET, HEAD or POST on <c>/rpc/fn</c>.</summary>
    Call,

    /// <summary>POST on a table: insert, or upsert with <c>Prefer: resolution=…</c>.</summary>
    Create,

    /// <summary>PATCH on a table.</summary>
    Update,

    /// <summary>DELETE on a table.</summary>
    Delete,
}
