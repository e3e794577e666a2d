using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>Full-text search: accent- and case-insensitive, ranked, scoped, paged, safe for any input.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class SearchSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Theory]
    [InlineData("informacao")]
    [InlineData("INFORMAÇÃO")]
    [InlineData("Informação")]
    public async Task Search_is_case_and_accent_insensitive(string query)
    {
        var s = await NewSessionAsync();
        await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [NewChatMessage.User("Preciso de mais informação sobre o pedido"), NewChatMessage.Assistant("Claro, aqui está.")]);
        var hits = await s.Store.SearchAsync(s.UserId, new ChatSearchRequest(query));
        var hit = hits.Items.Should().ContainSingle().Subject;
        hit.Message.Content.Should().Be("Preciso de mais informação sobre o pedido");
        hit.WorkflowId.Should().Be(s.Session.WorkflowId);
        hit.Message.SessionId.Should().Be(s.Session.Id);
        AssertHighlights(hit, "informacao");
    }

    [Fact]
    public async Task All_words_must_match_and_a_trailing_star_matches_a_prefix()
    {
        var s = await NewSessionAsync();
        await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id,
        [
            NewChatMessage.User("the quick brown fox"),
            NewChatMessage.User("the lazy brown dog"),
            NewChatMessage.User("quickly now"),
        ]);

        (await Contents(s, "brown fox")).Should().Equal("the quick brown fox");
        (await Contents(s, "brown")).Should().BeEquivalentTo("the quick brown fox", "the lazy brown dog");
        (await Contents(s, "quick")).Should().Equal("the quick brown fox");
        (await Contents(s, "quick*")).Should().BeEquivalentTo("the quick brown fox", "quickly now");
        (await Contents(s, "elephant")).Should().BeEmpty();
    }

    [Fact]
    public async Task Results_are_ranked_by_relevance()
    {
        var s = await NewSessionAsync();
        await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id,
        [
            NewChatMessage.User("deploy once and then we talk about other things entirely"),
            NewChatMessage.User("deploy deploy deploy: the deploy pipeline"),
            NewChatMessage.User("unrelated text about lunch and the weather today"),
        ]);

        var hits = await s.Store.SearchAsync(s.UserId, new ChatSearchRequest("deploy"));
        hits.Items.Should().HaveCount(2);
        hits.Items[0].Message.Content.Should().StartWith("deploy deploy");
        hits.Items[0].Rank.Should().BeGreaterThan(hits.Items[1].Rank);
    }

    [Fact]
    public async Task Search_scopes_to_one_session_or_spans_the_users_sessions()
    {
        var s = await NewSessionAsync();
        var other = await s.Store.GetOrCreateSessionAsync(s.UserId, "second-" + Guid.NewGuid());
        await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("orçamento do projeto"));
        await s.Store.AppendMessageAsync(s.UserId, other.Id, NewChatMessage.User("novo orçamento aprovado"));

        var all = await s.Store.SearchAsync(s.UserId, new ChatSearchRequest("orcamento"));
        all.Items.Select(h => h.WorkflowId).Should().BeEquivalentTo(s.Session.WorkflowId, other.WorkflowId);
        var one = await s.Store.SearchAsync(s.UserId, new ChatSearchRequest("orcamento") { SessionId = other.Id });
        one.Items.Should().ContainSingle().Which.Message.SessionId.Should().Be(other.Id);
    }

    [Fact]
    public async Task Search_pages_with_a_cursor_without_repeats()
    {
        var s = await NewSessionAsync();
        var batch = Enumerable.Range(0, 25).Select(i => NewChatMessage.User($"needle number {i}")).ToArray();
        await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, batch);

        var seen = new List<Guid>();
        var request = new ChatSearchRequest("needle") { PageSize = 10 };
        while (true)
        {
            var page = await s.Store.SearchAsync(s.UserId, request);
            seen.AddRange(page.Items.Select(h => h.Message.Id));
            if (!page.HasMore)
            {
                break;
            }

            request = request with { Cursor = page.NextCursor };
        }

        seen.Should().HaveCount(25).And.OnlyHaveUniqueItems();
        var changedQuery = () => s.Store.SearchAsync(s.UserId, new ChatSearchRequest("other") { Cursor = request.Cursor });
        if (request.Cursor is not null)
        {
            await changedQuery.Should().ThrowAsync<ArgumentException>("a search cursor belongs to its query");
        }
    }

    [Theory]
    [InlineData("\"unterminated")]
    [InlineData("a & b | !c")]
    [InlineData("(foo) <-> bar:* !!")]
    [InlineData("'; drop table chat_messages; --")]
    [InlineData("OR AND NOT")]
    [InlineData("-minus +plus ~tilde ^caret")]
    [InlineData("😀 emoji query x")]
    [InlineData("NEAR(a b) col:value")]
    [InlineData("%_\\ like wildcards")]
    [InlineData("a*b* *c")]
    public async Task Any_input_is_safe(string query)
    {
        var s = await NewSessionAsync();
        await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [NewChatMessage.User("drop table chat_messages is just text here, a b c foo bar")]);
        var page = await s.Store.SearchAsync(s.UserId, new ChatSearchRequest(query));
        page.Items.Should().NotBeNull();
        (await ReadAllAsync(s)).Should().ContainSingle("search never changes data");
    }

    [Fact]
    public async Task Sql_looking_text_is_searched_as_words()
    {
        var s = await NewSessionAsync();
        await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("please drop table chat_messages now"));
        var page = await s.Store.SearchAsync(s.UserId, new ChatSearchRequest("'; drop table --"));
        page.Items.Should().ContainSingle();
    }

    [Fact]
    public async Task Snippets_of_long_messages_are_short_and_highlight_the_match()
    {
        var s = await NewSessionAsync();
        var filler = string.Join(' ', Enumerable.Range(0, 400).Select(i => "palavra" + i));
        await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User(filler + " atenção especial " + filler));
        var hit = (await s.Store.SearchAsync(s.UserId, new ChatSearchRequest("atencao"))).Items.Should().ContainSingle().Subject;
        hit.Snippet.Length.Should().BeLessThan(1000);
        AssertHighlights(hit, "atencao");
    }

    private static async Task<List<string>> Contents(TestSession s, string query) =>
        (await s.Store.SearchAsync(s.UserId, new ChatSearchRequest(query))).Items.Select(h => h.Message.Content).ToList();

    private static void AssertHighlights(ChatSearchHit hit, string folded)
    {
        hit.Highlights.Should().NotBeEmpty();
        foreach (var span in hit.Highlights)
        {
            span.Start.Should().BeGreaterThanOrEqualTo(0);
            (span.Start + span.Length).Should().BeLessThanOrEqualTo(hit.Snippet.Length);
            Fold(hit.Snippet.Substring(span.Start, span.Length)).Should().Be(folded);
        }

        hit.Highlights.Select(h => h.Start).Should().BeInAscendingOrder();
    }

    private static string Fold(string text)
    {
        var decomposed = text.Normalize(System.Text.NormalizationForm.FormD);
        return new string(decomposed.Where(c => System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark).ToArray()).ToLowerInvariant();
    }
}
