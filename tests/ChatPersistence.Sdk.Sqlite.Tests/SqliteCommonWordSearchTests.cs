using ChatPersistence.Sdk.Sqlite.Internal;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>
/// A query with a word in many messages (10,000 or more; lowered here) is ranked by the store itself — FTS5's bm25 formula
/// over FTS5's own counts for the block's rows, with that word's document count estimated — instead of by FTS5's bm25,
/// whose count of the word's messages walks its whole list. Compared here with FTS5's bm25 on the same file: the same
/// order and ranks when the estimate is exact (a word in every message), the same blocks and exact paging otherwise.
/// </summary>
public sealed class SqliteCommonWordSearchTests : IDisposable
{
    private const int Block = 1000;
    private const int Messages = 2_600;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-sqlite-common-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteChatSessionStore _bm25;
    private readonly SqliteChatSessionStore _computed;

    public SqliteCommonWordSearchTests()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "chat.db");
        _bm25 = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path }) { SearchCountCap = int.MaxValue };
        _computed = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path }) { SearchCountCap = 100 };
    }

    public void Dispose()
    {
        _bm25.Dispose();
        _computed.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_word_in_every_message_is_ranked_as_fts5_ranks_it_across_blocks_and_pages()
    {
        await SeedAsync();

        var expected = await AllPagesAsync(_bm25, "topic", 70);
        var actual = await AllPagesAsync(_computed, "topic", 70);

        actual.Select(h => h.Message.Id).Should().OnlyHaveUniqueItems().And.HaveCount(Messages, "every match once, none skipped");
        actual.Select(h => h.Message.Id).Should().Equal(expected.Select(h => h.Message.Id), "the same order as FTS5's bm25, page by page");
        for (var i = 0; i < actual.Count; i++)
        {
            actual[i].Rank.Should().BeApproximately(expected[i].Rank, Math.Abs(expected[i].Rank) * 1e-9, "the same formula and inputs");
            actual[i].Snippet.Should().Be(expected[i].Snippet);
        }

        var newestFirst = actual.Select(h => h.Message.Sequence).OrderDescending().ToList();
        actual.Take(Block).Select(h => h.Message.Sequence).Should().BeEquivalentTo(newestFirst.Take(Block), "the first block is the newest 1,000");
        actual.Skip(Block).Take(Block).Select(h => h.Message.Sequence).Should().BeEquivalentTo(newestFirst.Skip(Block).Take(Block));
        actual[0].Message.Content.Should().Be("topic topic topic", "the best of the block leads it");
        actual[0].Rank.Should().BeGreaterThan(actual[Block - 1].Rank);
    }

    [Theory]
    [InlineData("topic needle")]
    [InlineData("needle topic")]
    [InlineData("topic need*")]
    [InlineData("topic top*")]
    public async Task A_common_word_with_a_counted_one_is_ranked_as_fts5_ranks_them(string query)
    {
        await SeedAsync();

        var expected = await AllPagesAsync(_bm25, query, 7);
        var actual = await AllPagesAsync(_computed, query, 7);

        actual.Should().NotBeEmpty();
        actual.Select(h => h.Message.Id).Should().OnlyHaveUniqueItems();
        actual.Select(h => h.Message.Id).Should().Equal(expected.Select(h => h.Message.Id), "each occurrence counts for the words it matches, accents and case folded");
        for (var i = 0; i < actual.Count; i++)
        {
            actual[i].Rank.Should().BeApproximately(expected[i].Rank, Math.Abs(expected[i].Rank) * 1e-9);
        }
    }

    [Fact]
    public async Task Two_common_words_page_through_the_same_blocks_without_repeats_or_gaps()
    {
        await SeedAsync();

        var expected = await AllPagesAsync(_bm25, "topic message", 90);
        var actual = await AllPagesAsync(_computed, "topic message", 90);

        actual.Select(h => h.Message.Id).Should().OnlyHaveUniqueItems().And.HaveCount(expected.Count);
        for (var block = 0; block * Block < actual.Count; block++)
        {
            actual.Skip(block * Block).Take(Block).Select(h => h.Message.Id)
                .Should().BeEquivalentTo(expected.Skip(block * Block).Take(Block).Select(h => h.Message.Id), "blocks are the same newest-first runs of matches");
            actual.Skip(block * Block).Take(Block).Select(h => h.Rank).Should().BeInDescendingOrder("best first within a block");
        }
    }

    [Fact]
    public void A_document_count_is_exact_under_the_cap_and_estimated_from_the_newest_matches_beyond_it()
    {
        SqliteSearchRanking.DocumentCount(counted: 42, cap: 100, capRowid: 1, minRowid: 1, maxRowid: 1_000, rows: 1_000).Should().Be(42);
        SqliteSearchRanking.DocumentCount(counted: 100, cap: 100, capRowid: 801, minRowid: 1, maxRowid: 1_000, rows: 1_000)
            .Should().Be(500, "the newest 100 span 200 rowids of 1,000: one in two");
        SqliteSearchRanking.DocumentCount(counted: 100, cap: 100, capRowid: 901, minRowid: 1, maxRowid: 1_000, rows: 900)
            .Should().Be(900, "never more than the rows");
        SqliteSearchRanking.Idf(1_000, 500).Should().Be(1e-6, "a word in half the rows or more has FTS5's floor");
    }

    private static async Task<List<ChatSearchHit>> AllPagesAsync(SqliteChatSessionStore store, string query, int pageSize)
    {
        var hits = new List<ChatSearchHit>();
        var request = new ChatSearchRequest(query) { PageSize = pageSize };
        while (true)
        {
            var page = await store.SearchAsync("ana", request);
            hits.AddRange(page.Items);
            if (!page.HasMore)
            {
                return hits;
            }

            request = request with { Cursor = page.NextCursor };
        }
    }

    // Ana's messages in three sessions, each with "topic" one to three times at varied lengths (some over 127 tokens, so
    // token counts take two-byte varints), "needle" in one of 60 (in any case, with and without accents) and "needless" in
    // one of 90; then bob's 200 with the same words.
    private async Task SeedAsync()
    {
        var sessions = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sessions.Add((await _bm25.GetOrCreateSessionAsync("ana", $"workflow-{i}")).Id.ToString());
        }

        var bob = (await _bm25.GetOrCreateSessionAsync("bob", "workflow")).Id.ToString();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _bm25.DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO chat_messages (id, session_id, user_id, role, content, metadata, created_at) VALUES ($id, $session, $user, 'user', $content, '{}', $at)";
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var session = insert.Parameters.Add("$session", SqliteType.Text);
        var user = insert.Parameters.Add("$user", SqliteType.Text);
        var content = insert.Parameters.Add("$content", SqliteType.Text);
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        string[] needles = ["needle", "NEEDLE", "Néedle", "nëedle"];
        for (var i = 0; i < Messages + 200; i++)
        {
            var ana = i < Messages;
            id.Value = Guid.NewGuid().ToString();
            session.Value = ana ? sessions[i % sessions.Count] : bob;
            user.Value = ana ? "ana" : "bob";
            var topic = string.Join(' ', Enumerable.Repeat("topic", 1 + (i % 3)));
            var needle = i % 60 == 5 ? " " + string.Join(' ', Enumerable.Repeat(needles[i % needles.Length], 1 + (i % 4))) : string.Empty;
            var needless = i % 90 == 1 ? " needless to say" : string.Empty;
            var padding = i % 7 == 0 ? string.Join(' ', Enumerable.Range(0, 140).Select(n => "word" + n)) : new string('x', i % 13);
            content.Value = i == Messages - 100 ? "topic topic topic" : $"{topic}{needle}{needless} message number {i} {padding}";
            at.Value = 1_700_000_000_000_000L + i;
            _ = await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }
}
