namespace ChatPersistence.Sdk.Supabase;

/// <summary>
/// Returns the signed-in user's current Supabase access token (a JWT) for a request made on behalf of
/// <paramref name="userId"/>. Called before every request, so a refreshed token is used as soon as the application has it.
/// </summary>
/// <param name="userId">The user the store is about to act for (the id the caller passed to the store).</param>
/// <param name="cancellationToken">Cancels the lookup.</param>
/// <returns>The access token, without the <c>Bearer </c> prefix.</returns>
public delegate ValueTask<string> SupabaseAccessTokenProvider(string userId, CancellationToken cancellationToken);
