namespace ChatPersistence.Sdk.Internal;

/// <summary>What an observed call is: its operation name, the table it touches, and the session and batch size when known.</summary>
internal readonly record struct StoreOperation(string Name, string Collection, Guid? SessionId = null, int? BatchSize = null);
