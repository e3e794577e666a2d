using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// PDF exports per user, apart from the API's budget (a PDF costs CPU seconds where an API call costs milliseconds): at most
/// <see cref="LimitsOptions.PdfExportsAtOnce"/> at once and <see cref="LimitsOptions.PdfExportsPerMinute"/> a minute, in the
/// process, on Redis or in the database (<see cref="ClusterLimits"/>). Thread-safe.
/// </summary>
internal sealed class PdfExportLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _atOnce;
    private readonly PartitionedRateLimiter<string> _rate;

    public PdfExportLimiter(IOptions<LimitsOptions> options, ClusterLimits cluster)
    {
        var limits = options.Value;
        _atOnce = PartitionedRateLimiter.Create<string, string>(user => cluster.Concurrency("pdf-at-once:" + user, limits.PdfExportsAtOnce));
        _rate = PartitionedRateLimiter.Create<string, string>(user => cluster.TokenBucket("pdf-rate:" + user, limits.PdfExportsPerMinute));
    }

    /// <summary>
    /// The lease to hold while the PDF is built, or the reason it may not be built now (with a <c>Retry-After</c> in seconds).
    /// </summary>
    public async ValueTask<(RateLimitLease? Lease, string? Refusal, string? RetryAfter)> AcquireAsync(string userId, CancellationToken cancellationToken)
    {
        using (var rate = await _rate.AcquireAsync(userId, 1, cancellationToken).ConfigureAwait(false))
        {
            if (!rate.IsAcquired)
            {
                return (null, "Too many PDF exports: wait and retry, or export as txt, md or json (they stream).", RetryAfter(rate) ?? "10");
            }
        }

        var lease = await _atOnce.AcquireAsync(userId, 1, cancellationToken).ConfigureAwait(false);
        if (lease.IsAcquired)
        {
            return (lease, null, null);
        }

        lease.Dispose();
        return (null, "A PDF export of yours is already running: wait for it to finish.", "5");
    }

    public void Dispose()
    {
        _atOnce.Dispose();
        _rate.Dispose();
    }

    private static string? RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Ceiling(after.TotalSeconds).ToString(CultureInfo.InvariantCulture) : null;
}
