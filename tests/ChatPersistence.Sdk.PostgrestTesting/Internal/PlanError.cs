namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>An error answered before anything runs.</summary>
internal sealed record PlanError(int Status, string Code, string Message, string? Details, string? Hint);
