using System.Threading.RateLimiting;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// A shared limiter (Redis or the database) that falls back to an in-process one of the same limit while the shared state
/// cannot be reached: the request is neither refused nor failed, it is counted by this instance alone (so while Redis or the
/// database is down, each instance applies the limit on its own), and <paramref name="failed"/> is told (it logs, and makes
/// <paramref name="reachable"/> answer false for a few seconds, so that requests meanwhile do not each wait for a time-out).
/// </summary>
internal sealed class FallbackRateLimiter(RateLimiter shared, RateLimiter local, Func<bool> reachable, Action<Exception> failed) : RateLimiter
{
    /// <inheritdoc />
    public override TimeSpan? IdleDuration => shared.IdleDuration is { } a && local.IdleDuration is { } b ? (a < b ? a : b) : null;

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics() => local.GetStatistics();

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        if (!reachable())
        {
            return local.AttemptAcquire(permitCount);
        }

        try
        {
            return shared.AttemptAcquire(permitCount);
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            failed(ex);
            return local.AttemptAcquire(permitCount);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        if (!reachable())
        {
            return await local.AcquireAsync(permitCount, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await shared.AcquireAsync(permitCount, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            failed(ex);
            return await local.AcquireAsync(permitCount, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            shared.Dispose();
            local.Dispose();
        }

        base.Dispose(disposing);
    }

    // Connection failures and time-outs of Redis or PostgreSQL; not cancellation of the request, nor a bug in the caller.
    private static bool IsUnreachable(Exception ex) =>
        ex is StackExchange.Redis.RedisException or Npgsql.NpgsqlException or TimeoutException or System.Net.Sockets.SocketException;
}
