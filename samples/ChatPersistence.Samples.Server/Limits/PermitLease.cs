using System.Threading.RateLimiting;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>A permit held in the database (<see cref="PostgresPermits"/>): disposing it gives the permit back, once.</summary>
internal sealed class PermitLease(PostgresPermits held, Guid id) : RateLimitLease
{
    private int _released;

    /// <inheritdoc />
    public override bool IsAcquired => true;

    /// <inheritdoc />
    public override IEnumerable<string> MetadataNames => [];

    /// <inheritdoc />
    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = null;
        return false;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _released, 1) == 0)
        {
            held.Release(id);
        }

        base.Dispose(disposing);
    }
}
