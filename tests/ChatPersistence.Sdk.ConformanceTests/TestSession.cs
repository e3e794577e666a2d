namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>A test user's session and the store acting for the user.</summary>
/// <param name="UserId">The owner.</param>
/// <param name="Store">The store acting for the owner.</param>
/// <param name="Session">The session.</param>
public sealed record TestSession(string UserId, IChatSessionStore Store, ChatSession Session);
