using System.Text;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Sqlite;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Tests;

public sealed class ConsoleSampleTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-console-" + Guid.NewGuid().ToString("N"));

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
    public async Task A_second_run_shows_the_first_runs_messages_per_workflow()
    {
        var first = await ConsoleProcess.RunAsync("Olá, primeira mensagem\n/workflow projeto-b\nmensagem do projeto B\n/quit\n", "--db", Db, "--user", "ana");
        first.ExitCode.Should().Be(0, first.Output);
        first.Output.Should().Contain("loading history…").And.Contain("you: Olá, primeira mensagem  ✓ saved").And.Contain("assistant: [offline assistant]");

        var second = await ConsoleProcess.RunAsync("/workflow projeto-b\n/workflow default\n/quit\n", "--db", Db, "--user", "ana");
        second.ExitCode.Should().Be(0, second.Output);
        var sections = second.Output.Split("== workflow ");
        sections[1].Should().StartWith("default").And.Contain("you: Olá, primeira mensagem").And.NotContain("mensagem do projeto B");
        sections[2].Should().StartWith("projeto-b").And.Contain("you: mensagem do projeto B").And.NotContain("primeira mensagem");
        sections[3].Should().StartWith("default (from cache").And.Contain("primeira mensagem");
    }

    [Fact]
    public async Task Export_writes_txt_md_json_and_pdf_files()
    {
        Directory.CreateDirectory(_folder);
        var txt = Path.Combine(_folder, "chat.txt");
        var md = Path.Combine(_folder, "chat.md");
        var json = Path.Combine(_folder, "chat.json");
        var pdf = Path.Combine(_folder, "chat.pdf");
        var run = await ConsoleProcess.RunAsync($"Persistência de Chat por Workflow\n/export txt {txt}\n/export md {md}\n/export json {json}\n/export pdf {pdf}\n/export doc x.doc\n/quit\n", "--db", Db, "--user", "ana");

        run.Output.Should().Contain($"exported 2 message(s) to {pdf}").And.Contain("usage: /export <txt|md|json|pdf> <file>");
        (await File.ReadAllBytesAsync(pdf)).Take(5).Should().Equal("%PDF-"u8.ToArray());
        (await File.ReadAllTextAsync(txt)).Should().Contain("Persistência de Chat por Workflow");
        (await File.ReadAllTextAsync(md)).Should().Contain("### User");
        (await File.ReadAllTextAsync(json)).Should().Contain("\"format\": \"chatpersistence.export\"");
    }

    [Fact]
    public async Task Clear_with_yes_empties_only_the_current_workflow()
    {
        await ConsoleProcess.RunAsync("keep me\n/workflow wipe\nwipe me\n/quit\n", "--db", Db, "--user", "ana");
        var clear = await ConsoleProcess.RunAsync("/workflow wipe\n/clear\n/clear --yes\n/quit\n", "--db", Db, "--user", "ana");
        clear.Output.Should().Contain("not cleared").And.Contain("cleared 2 message(s) of workflow wipe");

        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db });
        var kept = await store.GetOrCreateSessionAsync("ana", "default");
        var wiped = await store.GetOrCreateSessionAsync("ana", "wipe");
        kept.MessageCount.Should().Be(2);
        wiped.MessageCount.Should().Be(0);
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_message_keeps_running_and_writes_nothing()
    {
        var huge = new string('x', 2 * 1024 * 1024);
        var input = new StringBuilder()
            .Append('\n')
            .Append("   \n")
            .Append(huge).Append('\n')
            .Append("bell\u0007 and escape\u001b[31m\n")
            .Append("/nonsense\n")
            .Append("/fav 99999\n")
            .Append("/search !!!\n")
            .Append("still alive\n")
            .Append("/quit\n")
            .ToString();

        var run = await ConsoleProcess.RunAsync(input, "--db", Db, "--user", "bob");

        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().Contain("empty message ignored")
            .And.Contain("rejected: Request message 0")
            .And.Contain("control character U+0007")
            .And.Contain("unknown or incomplete command \"/nonsense\"")
            .And.Contain("no message #99999")
            .And.Contain("rejected: The search query must contain at least one letter or digit")
            .And.Contain("you: still alive  ✓ saved")
            .And.Contain("bye");
        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db });
        var session = await store.GetOrCreateSessionAsync("bob", "default");
        var messages = (await store.GetMessagesAsync("bob", session.Id)).Messages;
        messages.Select(m => m.Content).Should().HaveCount(2).And.StartWith("still alive");
    }
}
