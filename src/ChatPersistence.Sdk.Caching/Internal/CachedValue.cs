using System.ComponentModel;
using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// What <see cref="ChatCache"/> stores under a key: the value, the generation it was read under and the process that read
/// it. Immutable, so HybridCache keeps the very instance in memory (no copy per hit); serialized as JSON for the
/// distributed tier.
/// </summary>
/// <typeparam name="T">The cached value's type.</typeparam>
[ImmutableObject(true)]
internal sealed class CachedValue<T>
{
    [JsonConstructor]
    public CachedValue(T value, long generation, Guid origin)
    {
        Value = value;
        Generation = generation;
        Origin = origin;
    }

    /// <summary>The cached result (never mutated after it is stored).</summary>
    public T Value { get; }

    /// <summary>The <see cref="ChatCache.Generation"/> of the user and session when the read started, in <see cref="Origin"/>.</summary>
    public long Generation { get; }

    /// <summary>The <see cref="ChatCache"/> instance that read the value; generations mean something only there.</summary>
    public Guid Origin { get; }
}
