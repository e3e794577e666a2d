using System.Diagnostics;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>
/// One store behind one MCP transport, seeded once: users A and B (both with a workflow named "alpha", so isolation cannot lean on
/// names) and a worst-case user W (a 100,000-message chat whose newest messages are long and escape-heavy, 60 workflows with the
/// longest ids and titles, 60 long favourites), to show the bounds hold where they are hardest to hold.
/// </summary>
public abstract class McpFixture : IAsyncLifetime
{
    public const int BigHistory = 100_000;
    public const int WorstWorkflows = 60;
    public const int WorstMessages = 100;
    public const string BigWorkflowSuffix = "big";

    public StoreBackend Backend { get; private set; } = null!;

    public McpHost Host { get; private set; } = null!;

    public IChatSessionStore Store => Backend.Store;

    public string A { get; private set; } = null!;

    public string B { get; private set; } = null!;

    public string W { get; private set; } = null!;

    public IReadOnlyList<StoredChatMessage> AlphaA { get; private set; } = null!;

    public IReadOnlyList<StoredChatMessage> BetaA { get; private set; } = null!;

    public IReadOnlyList<StoredChatMessage> AlphaB { get; private set; } = null!;

    public IReadOnlyList<StoredChatMessage> OnlyB { get; private set; } = null!;

    /// <summary>W's 100,000-message workflow: 256 UTF-16 units of emoji (each escapes to 12 characters of JSON).</summary>
    public string BigWorkflow { get; } = string.Concat(Enumerable.Repeat("😀", 127)) + "bb";

    public TimeSpan SeedTime { get; private set; }

    /// <summary>A 5,000-character text where almost every character needs a JSON escape (quote, backslash, U+0001, emoji).</summary>
    public static string WorstText(int i) => $"needle{i} " + string.Concat(Enumerable.Repeat("\"\\\u0001😀", 1000))[..4990];

    protected abstract Task<StoreBackend> CreateBackendAsync();

    protected abstract Task<McpHost> CreateHostAsync(StoreBackend backend);

    public async Task InitializeAsync()
    {
        Backend = await CreateBackendAsync();
        var watch = Stopwatch.StartNew();
        await SeedAsync();
        SeedTime = watch.Elapsed;
        Host = await CreateHostAsync(Backend);
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        if (Backend is not null)
        {
            await Backend.DisposeAsync();
        }
    }

    private async Task SeedAsync()
    {
        var store = Store;
        A = await Backend.CreateUserAsync();
        B = await Backend.CreateUserAsync();
        W = await Backend.CreateUserAsync();

        var alphaA = await store.GetOrCreateSessionAsync(A, "alpha", "Alpha project");
        AlphaA = await store.AppendMessagesAsync(A, alphaA.Id,
        [
            NewChatMessage.User("We agreed the invoice for March is 420 euros."),
            NewChatMessage.Assistant("Noted: the March invoice is 420 euros."),
            NewChatMessage.User("Also remember the kickoff is on Tuesday."),
            NewChatMessage.Assistant("The kickoff is on Tuesday."),
            NewChatMessage.User("Café com açúcar 😀 — the accents and the emoji survive."),
        ]);
        await store.SetFavoriteAsync(A, AlphaA[1].Id, true);
        var betaA = await store.GetOrCreateSessionAsync(A, "beta");
        BetaA = await store.AppendMessagesAsync(A, betaA.Id, [NewChatMessage.User("Beta roadmap planning, no money talk here.")]);

        var alphaB = await store.GetOrCreateSessionAsync(B, "alpha", "B's alpha");
        AlphaB = await store.AppendMessagesAsync(B, alphaB.Id,
        [
            NewChatMessage.User("zebra secret of B: the invoice is 999 euros."),
            NewChatMessage.Assistant("zebra noted for B."),
        ]);
        await store.SetFavoriteAsync(B, AlphaB[0].Id, true);
        var onlyB = await store.GetOrCreateSessionAsync(B, "b-only");
        OnlyB = await store.AppendMessagesAsync(B, onlyB.Id, [NewChatMessage.User("zebra only in B's own workflow, invoice 777.")]);

        // W: the longest workflow ids and titles, one 100k-message chat whose newest messages are long and escape-heavy.
        var emojiTitle = string.Concat(Enumerable.Repeat("😀", 128));
        for (var i = 0; i < WorstWorkflows; i++)
        {
            var session = await store.GetOrCreateSessionAsync(W, $"{i:D2}" + string.Concat(Enumerable.Repeat("😀", 127)), emojiTitle);
            await store.AppendMessagesAsync(W, session.Id, [NewChatMessage.User($"workflow {i}")]);
        }

        var big = await store.GetOrCreateSessionAsync(W, BigWorkflow, emojiTitle);
        var batch = new List<NewChatMessage>(ChatPersistenceLimits.MaxBatchSize);
        for (var i = 0; i < BigHistory - WorstMessages; i++)
        {
            batch.Add(new NewChatMessage(i % 2 == 0 ? ChatMessageRole.User : ChatMessageRole.Assistant, $"message {i} about needle{i % 50} and other things"));
            if (batch.Count == ChatPersistenceLimits.MaxBatchSize)
            {
                await store.AppendMessagesAsync(W, big.Id, batch);
                batch.Clear();
            }
        }

        var worst = new List<StoredChatMessage>();
        for (var i = 0; i < WorstMessages; i++)
        {
            batch.Add(NewChatMessage.Assistant(WorstText(i)));
            if (batch.Count == 20)
            {
                worst.AddRange(await store.AppendMessagesAsync(W, big.Id, batch));
                batch.Clear();
            }
        }

        foreach (var message in worst.Take(WorstWorkflows))
        {
            await store.SetFavoriteAsync(W, message.Id, true);
        }
    }
}
