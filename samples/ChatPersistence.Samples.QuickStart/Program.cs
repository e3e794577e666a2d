// Quick start: the one call, then save and load a per-workflow chat in a local SQLite file.
using ChatPersistence.Sdk;
using Microsoft.Extensions.DependencyInjection;

var dbPath = Path.Combine(Path.GetTempPath(), "chatpersistence-quickstart.db");
var services = new ServiceCollection();
services.AddChatPersistence().UseSqlite(dbPath);          // or .UseInMemory(), .UsePostgres(...), .UseSupabase(...)
await using var provider = services.BuildServiceProvider();
var store = provider.GetRequiredService<IChatSessionStore>();

// One session per (user, workflow): created the first time, recovered afterwards.
var session = await store.GetOrCreateSessionAsync("alice", "invoice-approval", title: "Invoice approval");

// Save a turn (ids are generated on the client, so a retried append never duplicates).
await store.AppendMessagesAsync("alice", session.Id,
[
    NewChatMessage.User("Qual é o status da fatura 42?"),
    NewChatMessage.Assistant("A fatura 42 foi aprovada ontem."),
]);

// Load the history back: the newest page, in chronological order.
var page = await store.GetMessagesAsync("alice", session.Id);
foreach (var message in page.Messages)
{
    Console.WriteLine($"#{message.Sequence} {message.Role}: {message.Content}");
}

Console.WriteLine($"{page.Messages.Count} message(s) shown; stored in {dbPath}. Run again: the history grows.");
