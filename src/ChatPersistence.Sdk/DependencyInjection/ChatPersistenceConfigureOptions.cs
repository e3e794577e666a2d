using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Sdk.Internal;

/// <summary>Binds <see cref="ChatPersistenceOptions"/> from the <c>ChatPersistence</c> section when the host registered an <see cref="IConfiguration"/>.</summary>
internal sealed class ChatPersistenceConfigureOptions(IConfiguration? configuration = null) : IConfigureOptions<ChatPersistenceOptions>
{
    public void Configure(ChatPersistenceOptions options)
    {
        configuration?.GetSection(ChatPersistenceOptions.SectionName).Bind(options);
    }
}
