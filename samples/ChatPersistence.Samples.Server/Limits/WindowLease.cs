using System.Threading.RateLimiting;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>A lease of a counting limiter (nothing to give back): granted, or refused with the time until the window ends.</summary>
internal sealed class WindowLease : RateLimitLease
{
    private readonly TimeSpan? _retryAfter;

    private WindowLease(bool acquired, TimeSpan? retryAfter) => (IsAcquired, _retryAfter) = (acquired, retryAfter);

    /// <summary>A granted lease.</summary>
    public static WindowLease Granted { get; } = new(true, null);

    /// <inheritdoc />
    public override bool IsAcquired { get; }

    /// <inheritdoc />
    public override IEnumerable<string> MetadataNames => _retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

    /// <summary>A refused lease, with <see cref="MetadataName.RetryAfter"/> when known.</summary>
    public static WindowLease Refused(TimeSpan? retryAfter) => new(false, retryAfter);

    /// <inheritdoc />
    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = metadataName == MetadataName.RetryAfter.Name ? _retryAfter : null;
        return metadata is not null;
    }
}
