namespace ChatPersistence.Sdk.Internal;

/// <summary>Retries an idempotent store call while it fails transiently, with a doubling delay, until the token gives up.</summary>
internal static class ReplyRetry
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);

    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan firstDelay, TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = firstDelay;
        while (true)
        {
            try
            {
                return await call(cancellationToken).ConfigureAwait(false);
            }
            catch (ChatPersistenceException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = delay * 2 < MaxDelay ? delay * 2 : MaxDelay;
            }
        }
    }
}
