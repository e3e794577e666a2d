using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>The sizes a stored message must fit: the store's content and metadata limits and the inline limit for binary data.</summary>
internal readonly record struct StorageLimits(int MaxContentBytes, int MaxMetadataBytes, int MaxInlineDataBytes)
{
    /// <summary>The store limits of the registered <see cref="ChatPersistenceOptions"/> when there are any, else the defaults.</summary>
    public static StorageLimits From(IServiceProvider? services, int maxInlineDataBytes)
    {
        var store = services?.GetService<IOptions<ChatPersistenceOptions>>()?.Value ?? new ChatPersistenceOptions();
        return new StorageLimits(store.MaxContentBytes, store.MaxMetadataBytes, maxInlineDataBytes);
    }
}
