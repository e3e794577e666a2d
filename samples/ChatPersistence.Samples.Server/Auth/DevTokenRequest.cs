namespace ChatPersistence.Samples.Server.Auth;

/// <summary>The body of <c>POST /dev/token</c>.</summary>
public sealed record DevTokenRequest(string? Name);
