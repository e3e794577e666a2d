using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server.Auth;

/// <summary>
/// Refuses, at start-up, a configuration that would leave the server open or broken: no authentication outside Development,
/// a URL that is not absolute (or not HTTPS when HTTPS is required), a legacy secret that is short or has no issuer to check.
/// </summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (!options.IsConfigured && !environment.IsDevelopment())
        {
            failures.Add(
                $"No authentication is configured and the environment is '{environment.EnvironmentName}'. Set Auth:SupabaseUrl to your Supabase project URL " +
                "(e.g. Auth__SupabaseUrl=https://abcdefgh.supabase.co; access tokens are checked against its JWKS) and/or Auth:JwtSecret for a legacy HS256 project. " +
                "Development tokens exist only with ASPNETCORE_ENVIRONMENT=Development.");
        }

        if (!string.IsNullOrWhiteSpace(options.SupabaseUrl))
        {
            if (!Uri.TryCreate(options.SupabaseUrl.Trim(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                failures.Add("Auth:SupabaseUrl must be an absolute URL such as https://abcdefgh.supabase.co.");
            }
            else if (url.Scheme != Uri.UriSchemeHttps && options.RequireHttpsMetadata)
            {
                failures.Add("Auth:SupabaseUrl must use https (set Auth:RequireHttpsMetadata=false only for a local test issuer).");
            }
        }

        if (!string.IsNullOrEmpty(options.JwtSecret))
        {
            if (options.JwtSecret.Length < 32)
            {
                failures.Add("Auth:JwtSecret must be at least 32 characters (Supabase's legacy JWT secrets are).");
            }

            if (options.ExpectedIssuer is null)
            {
                failures.Add("Auth:JwtSecret needs the issuer to check: set Auth:SupabaseUrl (the issuer is {url}/auth/v1) or Auth:Issuer.");
            }
        }

        if (options.Audience is not { Length: > 0 })
        {
            failures.Add("Auth:Audience must not be empty (Supabase: authenticated).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
