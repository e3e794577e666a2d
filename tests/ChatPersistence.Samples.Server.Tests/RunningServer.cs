using ChatPersistence.Sdk;
using Microsoft.AspNetCore.Builder;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>The chat server on a real Kestrel port (for what an in-memory test server cannot show: streaming, raw URLs), with a signed-in client.</summary>
internal sealed record RunningServer(WebApplication App, HttpClient Http, IChatSessionStore Store, string UserId) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
