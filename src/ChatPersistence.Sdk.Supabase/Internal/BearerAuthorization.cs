namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>An access token and the <c>Authorization</c> header value made from it, kept so an unchanged token costs no new string.</summary>
/// <param name="Token">The token as the provider returned it.</param>
/// <param name="Value">The header value (<c>Bearer …</c>).</param>
internal sealed record BearerAuthorization(string Token, string Value);
