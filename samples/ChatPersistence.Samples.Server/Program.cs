using ChatPersistence.Samples.Server;

var app = ChatServer.Build(args);
app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"ChatPersistence chat server: open {string.Join(", ", app.Urls)} in a browser (Ctrl+C to stop)"));
await app.RunAsync();

/// <summary>The entry point (public for WebApplicationFactory).</summary>
public partial class Program;
