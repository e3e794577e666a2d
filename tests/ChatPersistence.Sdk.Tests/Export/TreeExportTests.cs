using System.Text.Json;
using ChatPersistence.Sdk.Export;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Tests.Export;

/// <summary>The JSON export of the whole tree of versions (format version 2) and its import.</summary>
[Collection(ExportMemoryTests.Name)]
public sealed class TreeExportTests
{
    private readonly InMemoryChatSessionStore _store = new();

    [Fact]
    public async Task The_whole_tree_round_trips_with_its_parents_and_chosen_branch_and_a_second_import_adds_nothing()
    {
        var (sessionId, all) = await SeedTreeAsync();
        using var buffer = new MemoryStream();
        (await _store.ExportAsync("ana", sessionId, ChatExportFormat.Json, buffer, new ChatExportOptions { Branches = ChatExportBranches.All, PageSize = 2 })).Should().Be(all.Count);
        using (var json = JsonDocument.Parse(buffer.ToArray()))
        {
            json.RootElement.GetProperty("version").GetInt32().Should().Be(ChatExporter.JsonTreeFormatVersion);
            json.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("parentId").ValueKind == JsonValueKind.Null ? (Guid?)null : m.GetProperty("parentId").GetGuid())
                .Should().Equal(all.Select(m => m.ParentId));
        }

        var target = new InMemoryChatSessionStore();
        buffer.Position = 0;
        var imported = await target.ImportAsync("bia", buffer);
        buffer.Position = 0;
        (await target.ImportAsync("bia", buffer)).Id.Should().Be(imported.Id);

        var request = new ChatHistoryRequest { AllBranches = true, Start = ChatHistoryStart.Oldest, PageSize = 100 };
        (await target.GetMessagesAsync("bia", imported.Id, request)).Messages.Select(m => (m.Id, m.ParentId, m.Role, m.Content, m.IsFavorite))
            .Should().Equal(all.Select(m => (m.Id, m.ParentId, m.Role, m.Content, m.IsFavorite)));
        (await target.GetMessagesAsync("bia", imported.Id)).Messages.Select(m => m.Id)
            .Should().Equal((await _store.GetMessagesAsync("ana", sessionId)).Messages.Select(m => m.Id), "the chosen branch is active again");
        (await target.GetSiblingsAsync("bia", all[2].Id)).Versions.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_store_without_branches_imports_the_exported_active_path_and_text_formats_show_it()
    {
        var (sessionId, _) = await SeedTreeAsync();
        var path = (await _store.GetMessagesAsync("ana", sessionId)).Messages;
        using var buffer = new MemoryStream();
        await _store.ExportAsync("ana", sessionId, ChatExportFormat.Json, buffer, new ChatExportOptions { Branches = ChatExportBranches.All });
        buffer.Position = 0;
        var linear = new LinearStore(new InMemoryChatSessionStore());
        var imported = await linear.ImportAsync("bia", buffer);
        (await linear.GetMessagesAsync("bia", imported.Id)).Messages.Select(m => m.Id).Should().Equal(path.Select(m => m.Id));

        using var text = new MemoryStream();
        (await _store.ExportAsync("ana", sessionId, ChatExportFormat.Markdown, text)).Should().Be(path.Count);
        var markdown = System.Text.Encoding.UTF8.GetString(text.ToArray());
        markdown.Should().Contain("q2 edited").And.NotContain("q2 first");
    }

    [Fact]
    public async Task The_tree_is_json_only_and_needs_a_store_with_branches()
    {
        var (sessionId, _) = await SeedTreeAsync();
        var all = new ChatExportOptions { Branches = ChatExportBranches.All };
        await FluentActions.Awaiting(() => _store.ExportAsync("ana", sessionId, ChatExportFormat.Text, Stream.Null, all)).Should().ThrowAsync<ArgumentException>();
        var linear = new LinearStore(new InMemoryChatSessionStore());
        var session = await linear.GetOrCreateSessionAsync("ana", "wf");
        await FluentActions.Awaiting(() => linear.ExportAsync("ana", session.Id, ChatExportFormat.Json, Stream.Null, all)).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => _store.ExportAsync("ana", sessionId, ChatExportFormat.Json, Stream.Null, new ChatExportOptions { Branches = (ChatExportBranches)7 }))
            .Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task A_parent_that_is_not_an_earlier_message_of_the_file_is_a_format_error()
    {
        var id = Guid.CreateVersion7();
        var json = $$"""
            {"format":"chatpersistence.export","version":2,"session":{"workflowId":"wf","activeLeafId":null},
             "messages":[{"id":"{{id}}","parentId":"{{Guid.CreateVersion7()}}","role":"user","content":"x","metadata":{},"createdAt":"2026-12-07T00:00:00Z"}]}
            """;
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        await FluentActions.Awaiting(() => new LinearStore(new InMemoryChatSessionStore()).ImportAsync("bia", stream)).Should().ThrowAsync<FormatException>();
        var store = new InMemoryChatSessionStore();
        stream.Position = 0;
        await FluentActions.Awaiting(() => store.ImportAsync("bia", stream)).Should().ThrowAsync<ChatNotFoundException>("the store refuses a parent it does not hold");
    }

    // q1, a1, q2 first, a2 first, then q2 edited + its answer (active), a favourite on the old answer.
    private async Task<(Guid SessionId, List<StoredChatMessage> All)> SeedTreeAsync()
    {
        var session = await _store.GetOrCreateSessionAsync("ana", "versões", "Árvore");
        var first = await _store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1"), NewChatMessage.User("q2 first"), NewChatMessage.Assistant("a2 first")]);
        await _store.SetFavoriteAsync("ana", first[3].Id, true);
        await _store.AppendVersionAsync("ana", session.Id, first[2].Id, NewChatMessage.User("q2 edited"));
        await _store.AppendMessageAsync("ana", session.Id, NewChatMessage.Assistant("a2 edited"));
        var all = (await _store.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { AllBranches = true, Start = ChatHistoryStart.Oldest })).Messages.ToList();
        return (session.Id, all);
    }

    // A store written before branches existed: it reports no branches (the interface's defaults).
    private sealed class LinearStore(IChatSessionStore inner) : DelegatingChatSessionStore(inner)
    {
        public override ChatStoreCapabilities Capabilities => ChatStoreCapabilities.None;

        public override Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default) =>
            request is { LeafId: not null } or { AllBranches: true } ? throw new NotSupportedException() : base.GetMessagesAsync(userId, sessionId, request, cancellationToken);
    }
}
