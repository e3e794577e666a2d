namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>A test user and the store acting for it.</summary>
/// <param name="Id">The user id.</param>
/// <param name="Store">The store.</param>
public sealed record TestUser(string Id, IChatSessionStore Store);
