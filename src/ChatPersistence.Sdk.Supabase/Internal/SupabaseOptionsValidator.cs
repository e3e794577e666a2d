using Microsoft.Extensions.Options;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>Reports exactly what is wrong with <see cref="SupabaseChatStoreOptions"/> when the host starts.</summary>
internal sealed class SupabaseOptionsValidator : IValidateOptions<SupabaseChatStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SupabaseChatStoreOptions options) =>
        options.Validate() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
