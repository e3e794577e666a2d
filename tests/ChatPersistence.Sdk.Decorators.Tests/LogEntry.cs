using Microsoft.Extensions.Logging;

namespace ChatPersistence.Sdk.Decorators.Tests;

public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);
