using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>One database + test server shared by a test class (tests create their own users, so they never collide).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public SupabaseEnvironment Environment { get; private set; } = null!;

    public async Task InitializeAsync() => Environment = await SupabaseEnvironment.StartAsync(recordRequests: true);

    public async Task DisposeAsync()
    {
        if (Environment is not null)
        {
            await Environment.DisposeAsync();
        }
    }
}
