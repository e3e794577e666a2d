using Microsoft.Extensions.Options;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>Validates <see cref="ChatHistoryToolsOptions"/> at start-up with messages that say which setting is wrong.</summary>
internal sealed class ChatHistoryToolsOptionsValidator : IValidateOptions<ChatHistoryToolsOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatHistoryToolsOptions options)
    {
        if (options.MaxResultCharacters is < ChatHistoryToolsOptions.MinResultCharacters or > ChatHistoryToolsOptions.MaxResultCharactersCeiling)
        {
            return ValidateOptionsResult.Fail($"ChatHistoryToolsOptions.MaxResultCharacters is {options.MaxResultCharacters}; it must be between {ChatHistoryToolsOptions.MinResultCharacters} and {ChatHistoryToolsOptions.MaxResultCharactersCeiling}.");
        }

        // A model receives a message's text about three times over (the text escaped again, and structuredContent): one must fit.
        var maxMessage = (options.MaxResultCharacters - ChatHistoryToolsOptions.ResultEnvelopeReserve) / 3;
        if (options.MaxMessageCharacters < ChatHistoryToolsOptions.MinMessageCharacters || options.MaxMessageCharacters > maxMessage)
        {
            return ValidateOptionsResult.Fail($"ChatHistoryToolsOptions.MaxMessageCharacters is {options.MaxMessageCharacters}; it must be between {ChatHistoryToolsOptions.MinMessageCharacters} and {maxMessage} (MaxResultCharacters minus {ChatHistoryToolsOptions.ResultEnvelopeReserve}, divided by 3: a model receives the result's text and its structuredContent).");
        }

        if (string.IsNullOrWhiteSpace(options.UserIdClaimType))
        {
            return ValidateOptionsResult.Fail("ChatHistoryToolsOptions.UserIdClaimType must name a claim (default 'sub').");
        }

        if (options.UserId is not null && (options.UserId.Length is 0 or > ChatPersistenceLimits.MaxUserIdLength))
        {
            return ValidateOptionsResult.Fail($"ChatHistoryToolsOptions.UserId must be null or 1 to {ChatPersistenceLimits.MaxUserIdLength} characters.");
        }

        return ValidateOptionsResult.Success;
    }
}
