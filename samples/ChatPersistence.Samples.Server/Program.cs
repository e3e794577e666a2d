using ChatPersistence.Samples.Server;
using Microsoft.Extensions.Options;

var app = ChatServer.Build(args);
app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"ChatPersistence chat server: open {string.Join(", ", app.Urls)} in a browser (Ctrl+C to stop)"));
try
{
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // A configuration that must not run (e.g. no authentication outside Development): say what to set, exit non-zero.
    await Console.Error.WriteLineAsync("chat-server cannot start: " + string.Join(Environment.NewLine + "  ", ex.Failures));
    return 2;
}

/// <summary>The entry point (public for WebApplicationFactory).</summary>
public partial class Program;
