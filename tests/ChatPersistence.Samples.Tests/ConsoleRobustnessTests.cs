using System.Text.RegularExpressions;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Sqlite;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Tests;

/// <summary>The console sample (the README's first command) as a user meets it: errors keep the session going, nothing unconfirmed is sent.</summary>
public sealed class ConsoleRobustnessTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-console-robust-" + Guid.NewGuid().ToString("N"));

    public ConsoleRobustnessTests() => Directory.CreateDirectory(_folder);

    private string Db => Path.Combine(_folder, "chat.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Export_to_a_missing_folder_a_folder_or_an_unwritable_path_prints_an_error_and_the_session_goes_on()
    {
        var missing = Path.Combine(_folder, "no-such-folder", "chat.txt");
        var run = await ConsoleProcess.RunAsync($"hello\n/export txt {missing}\n/export md {_folder}\n/export json /proc/version/chat.json\nstill here\n/quit\n", "--db", Db, "--user", "ana");

        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().Contain($"cannot write {missing}: the folder does not exist")
            .And.Contain($"cannot write {_folder}: that is a folder")
            .And.Contain("cannot write /proc/version/chat.json")
            .And.Contain("you: still here  ✓ saved")
            .And.NotContain("Unhandled exception");
    }

    [Fact]
    public async Task A_line_with_a_nul_character_gets_the_consoles_own_message_and_nothing_is_saved()
    {
        var run = await ConsoleProcess.RunAsync("before\u0000after\n/search a\u0000b\nok\n/quit\n", "--db", Db, "--user", "ana");

        run.Output.Should().Contain("contains a NUL character (U+0000)").And.NotContain("(Parameter '");
        (await Messages("ana")).Select(m => m.Content).Should().NotContain(c => c.Contains('\0')).And.Contain("ok");
    }

    [Fact]
    public async Task End_of_input_on_a_half_typed_line_does_not_send_it()
    {
        var run = await ConsoleProcess.RunAsync("sent with enter\nhalf typed then ctrl-d", "--db", Db, "--user", "ana");

        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().Contain("\"half typed then ctrl-d\" was not sent");
        (await Messages("ana")).Where(m => m.Role == ChatMessageRole.User).Select(m => m.Content).Should().Equal("sent with enter");
    }

    [Fact]
    public async Task User_facing_errors_carry_no_parameter_names()
    {
        var run = await ConsoleProcess.RunAsync($"/workflow {new string('w', 300)}\n/rename {new string('t', 300)}\n/quit\n", "--db", Db, "--user", "ana");

        run.Output.Should().Contain("rejected:").And.NotContain("(Parameter '");
    }

    [Fact]
    public async Task Json_exports_keep_non_ascii_readable_and_dates_are_iso_8601()
    {
        var json = Path.Combine(_folder, "chat.json");
        var run = await ConsoleProcess.RunAsync($"Ação, coração e 日本 😀\n/export json {json}\n/sessions\n/quit\n", "--db", Db, "--user", "ana");

        // Letters stay as they are; an emoji is written as its (valid) \uD83D\uDE00 escape by System.Text.Json and reads back whole.
        var text = await File.ReadAllTextAsync(json);
        text.Should().Contain("Ação, coração e 日本 ");
        System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("messages")[0].GetProperty("content").GetString().Should().Be("Ação, coração e 日本 😀");
        run.Output.Should().MatchRegex(@"last active \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}");
    }

    [Fact]
    public async Task Workflow_and_search_without_an_argument_print_their_usage()
    {
        var run = await ConsoleProcess.RunAsync("/workflow\n/search\n/search   \n/quit\n", "--db", Db, "--user", "ana");

        run.Output.Should().Contain("usage: /workflow <id>").And.Contain("usage: /search <words>").And.NotContain("unknown or incomplete command");
    }

    [Fact]
    public async Task The_offline_assistant_says_only_what_is_true_about_earlier_messages()
    {
        var first = await ConsoleProcess.RunAsync("one\n/clear --yes\ntwo\n/quit\n", "--db", Db, "--user", "ana");

        first.Output.Should().Contain("holds no earlier message of yours").And.NotContain("first thing you told me");
        var second = await ConsoleProcess.RunAsync("three\n/quit\n", "--db", Db, "--user", "ana");
        second.Output.Should().Contain("holds 1 earlier message(s) of yours here; the earliest is \"two\"");
    }

    private async Task<IReadOnlyList<StoredChatMessage>> Messages(string user)
    {
        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db });
        var session = await store.GetOrCreateSessionAsync(user, "default");
        return (await store.GetMessagesAsync(user, session.Id)).Messages;
    }
}
