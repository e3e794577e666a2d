using System.Text;
using System.Text.Json;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>Every bad input gets the documented error and leaves the store unchanged.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class ValidationSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    // Theory data travels through xUnit's serializer, which would mangle control characters and lone surrogates, so the
    // cases are named and built inside the test.
    public static TheoryData<string> BadIds => new() { "null", "empty", "whitespace", "nul", "tab", "newline", "too-long", "lone-surrogate" };

    public static TheoryData<string> BadMessages => new()
    {
        "null-content", "lone-surrogate", "empty-content-no-metadata", "empty-content-empty-metadata",
        "metadata-array", "metadata-string", "metadata-duplicate-key", "metadata-duplicate-escaped-key", "metadata-lone-surrogate",
        "metadata-lone-surrogate-key",
        "empty-id", "undefined-role", "content-too-big", "metadata-too-big", "created-at-out-of-range",
    };

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task Bad_workflow_ids_are_rejected_and_nothing_is_created(string kind)
    {
        var workflowId = BadId(kind);
        var user = await NewUserAsync();
        var act = () => user.Store.GetOrCreateSessionAsync(user.Id, workflowId!);
        await act.Should().ThrowAsync<ArgumentException>();
        (await user.Store.ListSessionsAsync(user.Id)).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task Workflow_ids_with_bidirectional_controls_are_rejected_and_nothing_is_created()
    {
        var user = await NewUserAsync();
        foreach (var id in new[] { "invoice\u202Efdp.exe", "a\u2066b\u2069", "left\u200Fright", "x\u061Cy" })
        {
            var act = () => user.Store.GetOrCreateSessionAsync(user.Id, id);
            (await act.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("workflowId");
        }

        (await user.Store.ListSessionsAsync(user.Id)).Items.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task Bad_user_ids_are_rejected_everywhere(string kind)
    {
        var userId = BadId(kind);
        var s = await NewSessionAsync();
        var store = s.Store;
        var calls = new Func<Task>[]
        {
            () => store.GetOrCreateSessionAsync(userId!, "w"),
            () => store.GetSessionAsync(userId!, s.Session.Id),
            () => store.ListSessionsAsync(userId!),
            () => store.RenameSessionAsync(userId!, s.Session.Id, "t"),
            () => store.AppendMessagesAsync(userId!, s.Session.Id, [NewChatMessage.User("x")]),
            () => store.GetMessagesAsync(userId!, s.Session.Id),
            () => store.ClearSessionAsync(userId!, s.Session.Id),
            () => store.DeleteSessionAsync(userId!, s.Session.Id),
            () => store.SearchAsync(userId!, new ChatSearchRequest("x")),
            () => store.SetFavoriteAsync(userId!, Guid.NewGuid(), true),
            () => store.ListFavoritesAsync(userId!),
        };
        foreach (var call in calls)
        {
            await call.Should().ThrowAsync<ArgumentException>();
        }

        (await store.GetSessionAsync(s.UserId, s.Session.Id)).Should().BeEquivalentTo(s.Session);
    }

    [Fact]
    public async Task Empty_guids_and_bad_titles_are_rejected()
    {
        var s = await NewSessionAsync("keep");
        var calls = new Func<Task>[]
        {
            () => s.Store.GetSessionAsync(s.UserId, Guid.Empty),
            () => s.Store.AppendMessagesAsync(s.UserId, Guid.Empty, [NewChatMessage.User("x")]),
            () => s.Store.GetMessagesAsync(s.UserId, Guid.Empty),
            () => s.Store.ClearSessionAsync(s.UserId, Guid.Empty),
            () => s.Store.DeleteSessionAsync(s.UserId, Guid.Empty),
            () => s.Store.SetFavoriteAsync(s.UserId, Guid.Empty, true),
            () => s.Store.RenameSessionAsync(s.UserId, s.Session.Id, new string('t', ChatPersistenceLimits.MaxTitleLength + 1)),
            () => s.Store.RenameSessionAsync(s.UserId, s.Session.Id, "nul\0title"),
            () => s.Store.GetOrCreateSessionAsync(s.UserId, "new-w", "nul\0title"),
            () => s.Store.SearchAsync(s.UserId, new ChatSearchRequest("x") { SessionId = Guid.Empty }),
            () => s.Store.ListFavoritesAsync(s.UserId, new ChatFavoritesRequest { SessionId = Guid.Empty }),
        };
        foreach (var call in calls)
        {
            await call.Should().ThrowAsync<ArgumentException>();
        }

        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.Title.Should().Be("keep");
        (await s.Store.ListSessionsAsync(s.UserId)).Items.Should().ContainSingle();
    }

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task A_bad_message_rejects_the_whole_batch_and_nothing_is_written(string kind)
    {
        var s = await NewSessionAsync();
        var store = Fixture.CreateStoreWithOptions(s.UserId, new ChatPersistenceOptions { MaxContentBytes = 1000, MaxMetadataBytes = 200 });
        var good = NewChatMessage.User("good message first");
        var bad = Bad(kind);

        var act = () => store.AppendMessagesAsync(s.UserId, s.Session.Id, [good, bad]);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("messages");
        (await ReadAllAsync(s)).Should().BeEmpty();
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.MessageCount.Should().Be(0);
    }

    [Fact]
    public async Task Bad_batches_are_rejected()
    {
        var s = await NewSessionAsync();
        var duplicate = NewChatMessage.User("x");
        var tooMany = Enumerable.Range(0, ChatPersistenceLimits.MaxBatchSize + 1).Select(i => NewChatMessage.User("m" + i)).ToArray();
        var batches = new IReadOnlyList<NewChatMessage>?[] { null, [], tooMany, [duplicate, duplicate], [NewChatMessage.User("ok"), null!] };
        foreach (var batch in batches)
        {
            var act = () => s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, batch!);
            await act.Should().ThrowAsync<ArgumentException>();
        }

        (await ReadAllAsync(s)).Should().BeEmpty();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(ChatPersistenceLimits.MaxPageSize + 1)]
    public async Task Page_sizes_out_of_range_are_rejected(int pageSize)
    {
        var s = await NewSessionAsync();
        var history = () => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = pageSize });
        var sessions = () => s.Store.ListSessionsAsync(s.UserId, new ChatListRequest { PageSize = pageSize });
        var favorites = () => s.Store.ListFavoritesAsync(s.UserId, new ChatFavoritesRequest { PageSize = pageSize });
        await history.Should().ThrowAsync<ArgumentOutOfRangeException>();
        await sessions.Should().ThrowAsync<ArgumentOutOfRangeException>();
        await favorites.Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("!!! *** \"\" ()")]
    [InlineData("nul\0")]
    public async Task Search_queries_without_words_or_with_nul_are_rejected(string query)
    {
        var s = await NewSessionAsync();
        var act = () => s.Store.SearchAsync(s.UserId, new ChatSearchRequest(query));
        await act.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task Search_query_length_and_page_size_are_limited()
    {
        var s = await NewSessionAsync();
        var tooLong = () => s.Store.SearchAsync(s.UserId, new ChatSearchRequest(new string('a', ChatPersistenceLimits.MaxSearchQueryLength + 1)));
        var nullQuery = () => s.Store.SearchAsync(s.UserId, new ChatSearchRequest(null!));
        var bigPage = () => s.Store.SearchAsync(s.UserId, new ChatSearchRequest("a") { PageSize = ChatPersistenceLimits.MaxSearchPageSize + 1 });
        await tooLong.Should().ThrowAsync<ArgumentException>();
        await nullQuery.Should().ThrowAsync<ArgumentNullException>();
        await bigPage.Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ChatPersistenceLimits.MaxRetentionBatchSize + 1)]
    public async Task Retention_batch_size_is_limited(int maxSessions)
    {
        var act = () => Fixture.AdminStore.DeleteIdleSessionsAsync(DateTimeOffset.UtcNow, maxSessions);
        await act.Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task A_cancelled_token_writes_nothing()
    {
        var s = await NewSessionAsync();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var act = () => s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [NewChatMessage.User("x")], cts.Token);
        await act.Should().ThrowAsync<OperationCanceledException>();
        (await ReadAllAsync(s)).Should().BeEmpty();
    }

    private static string? BadId(string kind) => kind switch
    {
        "null" => null,
        "empty" => string.Empty,
        "whitespace" => "   ",
        "nul" => "a\0b",
        "tab" => "tab\there",
        "newline" => "new\nline",
        "too-long" => new string('u', ChatPersistenceLimits.MaxWorkflowIdLength + 1),
        "lone-surrogate" => "bad\uD800surrogate",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static NewChatMessage Bad(string kind) => kind switch
    {
        "null-content" => NewChatMessage.User("x") with { Content = null! },
        "lone-surrogate" => NewChatMessage.User("broken \uDC00 text"),
        "empty-content-no-metadata" => NewChatMessage.User(string.Empty),
        "empty-content-empty-metadata" => NewChatMessage.User(string.Empty, Json("{}")),
        "metadata-array" => NewChatMessage.User("x", Json("[1,2]")),
        "metadata-string" => NewChatMessage.User("x", Json("\"text\"")),
        "metadata-duplicate-key" => NewChatMessage.User("x", Json("""{"k":1,"k":2}""")),
        "metadata-duplicate-escaped-key" => NewChatMessage.User("x", Json("""{"k":1,"\u006b":2}""")),
        "metadata-lone-surrogate" => NewChatMessage.User("x", Json("""{"k":{"deep":["ok","\ud800"]}}""")),
        "metadata-lone-surrogate-key" => NewChatMessage.User("x", Json("""{"k":1,"\udc00":2}""")),
        "empty-id" => NewChatMessage.User("x") with { Id = Guid.Empty },
        "undefined-role" => NewChatMessage.User("x") with { Role = (ChatMessageRole)42 },
        "content-too-big" => NewChatMessage.User(new string('é', 501)),
        "metadata-too-big" => NewChatMessage.User("x", Json("{\"k\":\"" + new string('a', 200) + "\"}")),
        "created-at-out-of-range" => NewChatMessage.User("x") with { CreatedAt = DateTimeOffset.MinValue },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static JsonElement Json(string json) => JsonDocument.Parse(Encoding.UTF8.GetBytes(json)).RootElement;
}
