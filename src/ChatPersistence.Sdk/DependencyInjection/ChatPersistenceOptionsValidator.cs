using Microsoft.Extensions.Options;

namespace ChatPersistence.Sdk.Internal;

/// <summary>Validates <see cref="ChatPersistenceOptions"/> at start-up with messages that say which setting is wrong.</summary>
internal sealed class ChatPersistenceOptionsValidator : IValidateOptions<ChatPersistenceOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatPersistenceOptions options)
    {
        var failure = Check(options);
        return failure is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failure);
    }

    internal static string? Check(ChatPersistenceOptions options)
    {
        if (options.MaxContentBytes < 1 || options.MaxContentBytes > ChatPersistenceLimits.MaxContentBytesCeiling)
        {
            return $"ChatPersistence:MaxContentBytes is {options.MaxContentBytes}; it must be between 1 and {ChatPersistenceLimits.MaxContentBytesCeiling}.";
        }

        if (options.MaxMetadataBytes < 2 || options.MaxMetadataBytes > ChatPersistenceLimits.MaxMetadataBytesCeiling)
        {
            return $"ChatPersistence:MaxMetadataBytes is {options.MaxMetadataBytes}; it must be between 2 and {ChatPersistenceLimits.MaxMetadataBytesCeiling}.";
        }

        if (options.Replies is null || options.Replies.Lease < ChatPersistenceLimits.MinReplyLease || options.Replies.Lease > ChatPersistenceLimits.MaxReplyLease)
        {
            return $"ChatPersistence:Replies:Lease is {options.Replies?.Lease}; it must be between {ChatPersistenceLimits.MinReplyLease} and {ChatPersistenceLimits.MaxReplyLease}.";
        }

        if (options.MaxVersions < 2 || options.MaxVersions > ChatPersistenceLimits.MaxVersionsCeiling)
        {
            return $"ChatPersistence:MaxVersions is {options.MaxVersions}; it must be between 2 and {ChatPersistenceLimits.MaxVersionsCeiling}.";
        }

        return null;
    }
}
