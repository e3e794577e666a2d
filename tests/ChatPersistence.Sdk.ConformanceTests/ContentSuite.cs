using System.Text;
using System.Text.Json;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>Content and metadata round-trip exactly.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class ContentSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Theory]
    [InlineData("Persistência de Chat por Workflow: ação, coração, ç, Ç, ã, õ, é, ü")]
    [InlineData("Emoji 😀👍🏽 👩‍👩‍👧‍👦 🇧🇷 and a flag")]
    [InlineData("مرحبا بالعالم — שלום עולם — mixed RTL ‏text‎")]
    [InlineData("Line 1\nLine 2\r\n\ttabbed \"quoted\" 'single' \\backslash\\ <b>not html</b> $1 %s {0}")]
    [InlineData("汉字 かな 한국어 Ελληνικά русский")]
    [InlineData(" leading and trailing spaces ")]
    public async Task Text_round_trips_exactly(string text)
    {
        var s = await NewSessionAsync();
        var stored = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User(text));
        stored.Content.Should().Be(text);
        (await ReadAllAsync(s)).Single().Content.Should().Be(text);
    }

    [Fact]
    public async Task One_mebibyte_of_content_round_trips_byte_exact()
    {
        var s = await NewSessionAsync();
        var builder = new StringBuilder();
        var piece = "ação 😀 مرحبا x";
        var pieceBytes = Encoding.UTF8.GetByteCount(piece);
        var bytes = 0;
        while (bytes + pieceBytes <= Fixture.Options.MaxContentBytes)
        {
            builder.Append(piece);
            bytes += pieceBytes;
        }

        builder.Append('a', Fixture.Options.MaxContentBytes - bytes);

        var text = builder.ToString();
        Encoding.UTF8.GetByteCount(text).Should().Be(Fixture.Options.MaxContentBytes);
        await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User(text));
        var read = (await ReadAllAsync(s)).Single().Content;
        Encoding.UTF8.GetBytes(read).Should().Equal(Encoding.UTF8.GetBytes(text));
    }

    [Fact]
    public async Task Metadata_round_trips_semantically()
    {
        var s = await NewSessionAsync();
        const string Json = """
            {"attachments":[{"name":"relatório.pdf","size":1048576,"type":"application/pdf"}],
             "tool_calls":[{"id":"call_1","name":"buscar","arguments":{"q":"ação","limit":10,"exact":true,"filter":null}}],
             "usage":{"input_tokens":1234,"output_tokens":567,"ratio":0.25,"big":9007199254740993},
             "emoji":"😀","rtl":"שלום","nested":{"a":{"b":{"c":[[],{},[1,[2,[3]]]]}}},"empty":""}
            """;
        var metadata = JsonDocument.Parse(Json).RootElement;
        var stored = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant("ok", metadata));
        JsonElement.DeepEquals(stored.Metadata, metadata).Should().BeTrue();
        var read = (await ReadAllAsync(s)).Single();
        JsonElement.DeepEquals(read.Metadata, metadata).Should().BeTrue(read.Metadata.GetRawText());
        read.Metadata.GetProperty("usage").GetProperty("big").GetRawText().Should().Be("9007199254740993");
    }

    [Fact]
    public async Task Text_with_U0000_round_trips_in_content_and_metadata()
    {
        // U+0000 (e.g. a tool returning the bytes of a zip file as text), next to the noncharacters the stores use to escape it.
        var s = await NewSessionAsync();
        const string Text = "PK\u0003\u0004\0\0 zipfile \0 \uFDD0 \uFDD0\uFDD1 \uFDD1\0\uFDD0";
        var metadata = JsonDocument.Parse("""
            {"tool":{"result":"PK\u0003\u0004\u0000\u0000end","list":["\u0000","\ufdd0\u0000","plain"]},"k\u0000ey":"\ufdd1\u0000"}
            """).RootElement;
        var message = new NewChatMessage(ChatMessageRole.Tool, Text, metadata);

        var stored = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, message);
        var retried = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, message);

        foreach (var read in new[] { stored, retried, (await ReadAllAsync(s)).Single() })
        {
            read.Content.Should().Be(Text);
            JsonElement.DeepEquals(read.Metadata, metadata).Should().BeTrue(read.Metadata.GetRawText());
            read.Metadata.GetProperty("k\u0000ey").GetString().Should().Be("\uFDD1\0");
        }

        var hit = (await s.Store.SearchAsync(s.UserId, new ChatSearchRequest("zipfile"))).Items.Should().ContainSingle().Subject;
        hit.Message.Content.Should().Be(Text);
        hit.Snippet.Should().NotContain("\uFDD0\uFDD0", "the snippet is restored too");
        hit.Highlights.Select(h => hit.Snippet.Substring(h.Start, h.Length)).Should().OnlyContain(t => t.Contains("zipfile", StringComparison.OrdinalIgnoreCase));
        (await s.Store.SetFavoriteAsync(s.UserId, stored.Id, true)).Content.Should().Be(Text);
        (await s.Store.ListFavoritesAsync(s.UserId)).Items.Single().Content.Should().Be(Text);
    }

    [Fact]
    public async Task Session_titles_round_trip_unicode()
    {
        var user = await NewUserAsync();
        var session = await user.Store.GetOrCreateSessionAsync(user.Id, "w", "Relatório 📊 עברית");
        (await user.Store.GetSessionAsync(user.Id, session.Id))!.Title.Should().Be("Relatório 📊 עברית");
    }
}
