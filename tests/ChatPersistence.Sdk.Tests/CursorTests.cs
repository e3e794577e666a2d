using ChatPersistence.Sdk.Internal;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Tests;

public sealed class CursorTests
{
    [Fact]
    public void A_cursor_round_trips_its_payload_and_is_url_safe()
    {
        var scope = ChatCursor.Scope("history", "user", "session");
        var cursor = ChatCursor.Encode(ChatCursor.Kind.History, scope, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        cursor.Should().MatchRegex("^[A-Za-z0-9_-]+$");
        ChatCursor.Decode(cursor, ChatCursor.Kind.History, scope, 9, "p").Should().Equal(1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    [Fact]
    public void Every_single_character_change_is_detected()
    {
        var scope = ChatCursor.Scope("history", "user", "session");
        var cursor = ChatCursor.Encode(ChatCursor.Kind.History, scope, [1, 2, 3, 4, 5, 6, 7, 8, 0]);
        for (var i = 0; i < cursor.Length; i++)
        {
            var changed = cursor[..i] + (cursor[i] == 'x' ? 'y' : 'x') + cursor[(i + 1)..];
            var act = () => ChatCursor.Decode(changed, ChatCursor.Kind.History, scope, 9, "p");
            act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("p");
        }
    }

    [Fact]
    public void Characters_outside_base64url_and_white_space_are_rejected_as_malformed()
    {
        var scope = ChatCursor.Scope("history", "user", "session");
        var cursor = ChatCursor.Encode(ChatCursor.Kind.History, scope, new byte[9]);
        foreach (var bad in new[] { cursor[..10] + "+" + cursor[11..], cursor[..10] + "/" + cursor[11..], cursor[..10] + " " + cursor[10..], "!" + cursor[1..] })
        {
            var act = () => ChatCursor.Decode(bad, ChatCursor.Kind.History, scope, 9, "p");
            act.Should().Throw<ArgumentException>().WithMessage("*malformed*");
        }
    }

    [Fact]
    public void Scopes_separate_users_sessions_and_kinds()
    {
        var scope = ChatCursor.Scope("history", "user", "session");
        var cursor = ChatCursor.Encode(ChatCursor.Kind.History, scope, new byte[9]);
        var otherUser = () => ChatCursor.Decode(cursor, ChatCursor.Kind.History, ChatCursor.Scope("history", "user2", "session"), 9, "p");
        var otherKind = () => ChatCursor.Decode(cursor, ChatCursor.Kind.Favorites, scope, 9, "p");
        var ambiguous = ChatCursor.Scope("history", "us", "ersession") == ChatCursor.Scope("history", "user", "session");
        otherUser.Should().Throw<ArgumentException>().WithMessage("*another session, user or listing*");
        otherKind.Should().Throw<ArgumentException>();
        ambiguous.Should().BeFalse();
    }

    [Fact]
    public void Timestamps_are_truncated_to_utc_microseconds()
    {
        var value = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)).AddTicks(9);
        var truncated = ChatTime.Truncate(value);
        truncated.Offset.Should().Be(TimeSpan.Zero);
        truncated.UtcTicks.Should().Be(value.UtcTicks - 9);
        ChatTime.FromUnixMicroseconds(ChatTime.ToUnixMicroseconds(truncated)).Should().Be(truncated);
    }
}
