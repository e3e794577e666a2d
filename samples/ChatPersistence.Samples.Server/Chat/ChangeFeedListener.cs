using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Postgres;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// Starts the PostgreSQL change feed's listener with the server rather than with the first socket, so the first sockets
/// after a start do not wait for its connection. It does not hold up the start: the listener connects (and retries) in the
/// background. Other feeds need nothing.
/// </summary>
internal sealed class ChangeFeedListener(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<IChatChangeFeed>() is PostgresChatChangeFeed postgres)
        {
            _ = postgres.StartAsync(CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
