using System.Diagnostics;
using System.Text;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.AI;
using ChatPersistence.Sdk.Export;
using ChatPersistence.Sdk.Export.Pdf;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Samples.Console;

/// <summary>The interactive chat loop: one persistent chat per (user, workflow), slash commands, an assistant.</summary>
internal sealed class ChatApp(IChatSessionStore store, IChatClient assistant, string userId, bool assumeYes, TextReader input, TextWriter output)
{
    private const int PageSize = 20;
    private readonly LineReader _lines = new(input);
    private readonly Dictionary<string, WorkflowView> _cache = new(StringComparer.Ordinal);
    private WorkflowView _current = null!;

    public async Task<int> RunAsync(string workflowId, CancellationToken cancellationToken)
    {
        await SwitchAsync(workflowId, cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!System.Console.IsInputRedirected)
            {
                output.Write($"[{_current.Session.WorkflowId}] > ");
            }

            if (await _lines.ReadLineAsync(cancellationToken) is not var (line, complete))
            {
                break;
            }

            if (!complete)
            {
                // Ctrl-D on a half-typed line: the user did not press Enter, so nothing is sent.
                output.WriteLine();
                output.WriteLine($"! input ended before Enter: \"{Truncate(line, 40)}\" was not sent");
                break;
            }

            if (line.Contains('\0', StringComparison.Ordinal))
            {
                output.WriteLine("! the line contains a NUL character (U+0000), which cannot be stored; nothing was sent");
                continue;
            }

            try
            {
                if (line.StartsWith('/'))
                {
                    if (!await CommandAsync(line, cancellationToken))
                    {
                        break;
                    }
                }
                else
                {
                    await SendAsync(line, cancellationToken);
                }
            }
            catch (ArgumentException ex)
            {
                output.WriteLine($"! rejected: {UserMessage(ex)} (nothing was saved)");
            }
            catch (ChatPersistenceException ex)
            {
                output.WriteLine($"! store error{(ex.IsTransient ? " (transient, try again)" : string.Empty)}: {FirstLine(ex.Message)}");
            }
            catch (HttpRequestException ex)
            {
                output.WriteLine($"! assistant unavailable: {FirstLine(ex.Message)} (your message is saved)");
            }
        }

        output.WriteLine("bye");
        return 0;
    }

    private async Task SendAsync(string text, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            output.WriteLine("! empty message ignored (type /help for commands)");
            return;
        }

        var control = text.FirstOrDefault(c => char.IsControl(c) && c != '\t');
        if (control != default)
        {
            output.WriteLine($"! message contains the control character U+{(int)control:X4}; remove it and try again (nothing was saved)");
            return;
        }

        // The assistant is wrapped by ChatPersistence.Sdk.AI's decorator: it loads this workflow's stored history as the
        // model's context, saves the question before calling the model and the reply (with model, usage, duration) after.
        var view = _current;
        var watch = Stopwatch.StartNew();
        await assistant.GetResponseAsync(text, new ChatOptions().WithChatConversation(userId, view.Session.WorkflowId), cancellationToken);
        watch.Stop();

        // Show what the store acknowledged: everything newer than the last message shown.
        var page = await store.GetMessagesAsync(
            userId,
            view.Session.Id,
            view.NewerCursor is null ? new ChatHistoryRequest { Start = ChatHistoryStart.Oldest, PageSize = ChatPersistenceLimits.MaxPageSize } : new ChatHistoryRequest { Cursor = view.NewerCursor, PageSize = ChatPersistenceLimits.MaxPageSize },
            cancellationToken);
        view.NewerCursor = page.NewerCursor ?? view.NewerCursor;
        foreach (var m in page.Messages)
        {
            view.Messages.Add(m);
            output.WriteLine($"  #{m.Sequence} {(m.Role == ChatMessageRole.User ? "you" : m.Role.ToStorageName())}: {m.Content}  ✓ saved");
        }

        output.WriteLine($"  ({watch.ElapsedMilliseconds} ms)");
    }

    private async Task<bool> CommandAsync(string line, CancellationToken cancellationToken)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var command = (space < 0 ? line : line[..space]).ToLowerInvariant();
        var argument = space < 0 ? string.Empty : line[(space + 1)..].Trim();
        switch (command)
        {
            case "/quit" or "/exit":
                return false;
            case "/help":
                Help();
                break;
            case "/workflow" when argument.Length > 0:
                await SwitchAsync(argument, cancellationToken);
                break;
            case "/workflow":
                output.WriteLine($"! usage: /workflow <id>   (switches to that workflow's chat; now: {_current.Session.WorkflowId})");
                break;
            case "/older":
                await OlderAsync(cancellationToken);
                break;
            case "/search" when argument.Length > 0:
                await SearchAsync(argument, cancellationToken);
                break;
            case "/search":
                output.WriteLine("! usage: /search <words>   (searches all your workflows' messages)");
                break;
            case "/fav" or "/unfav" when long.TryParse(argument.TrimStart('#'), out var sequence):
                await FavoriteAsync(sequence, command == "/fav", cancellationToken);
                break;
            case "/favs":
                var favorites = await store.ListFavoritesAsync(userId, null, cancellationToken);
                output.WriteLine(favorites.Items.Count == 0 ? "  (no favourites yet)" : $"  {favorites.Items.Count} favourite(s):");
                foreach (var m in favorites.Items)
                {
                    Print(m);
                }

                break;
            case "/sessions":
                var sessions = await store.ListSessionsAsync(userId, null, cancellationToken);
                foreach (var s in sessions.Items)
                {
                    output.WriteLine($"  {s.WorkflowId}{(s.Title is null ? string.Empty : $" \"{s.Title}\"")}: {s.MessageCount} message(s), last active {s.UpdatedAt.ToLocalTime():yyyy-MM-ddTHH:mm:sszzz}{(s.Id == _current.Session.Id ? "  (current)" : string.Empty)}");
                }

                break;
            case "/rename":
                _current.Session = await store.RenameSessionAsync(userId, _current.Session.Id, argument.Length == 0 ? null : argument, cancellationToken);
                output.WriteLine(argument.Length == 0 ? "  title removed" : $"  renamed to \"{argument}\"");
                break;
            case "/export":
                await ExportAsync(argument, cancellationToken);
                break;
            case "/clear":
                await ClearAsync(argument, cancellationToken);
                break;
            default:
                output.WriteLine($"! unknown or incomplete command \"{Truncate(line, 40)}\"; type /help");
                break;
        }

        return true;
    }

    private async Task SwitchAsync(string workflowId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(workflowId, out var cached))
        {
            _current = cached;
            output.WriteLine($"== workflow {workflowId} (from cache: {cached.Messages.Count} message(s))");
            foreach (var m in cached.Messages)
            {
                Print(m);
            }

            return;
        }

        output.WriteLine($"== workflow {workflowId}: loading history…");
        var session = await store.GetOrCreateSessionAsync(userId, workflowId, cancellationToken: cancellationToken);
        var page = await store.GetMessagesAsync(userId, session.Id, new ChatHistoryRequest { PageSize = PageSize }, cancellationToken);
        var view = new WorkflowView(session) { OlderCursor = page.OlderCursor, HasOlder = page.HasOlder, NewerCursor = page.NewerCursor };
        view.Messages.AddRange(page.Messages);
        _cache[workflowId] = view;
        _current = view;
        output.WriteLine(page.Messages.Count == 0
            ? "   (no messages yet: say something)"
            : $"   {session.MessageCount} message(s) stored{(page.HasOlder ? "; /older shows earlier ones" : string.Empty)}");
        foreach (var m in page.Messages)
        {
            Print(m);
        }
    }

    private async Task OlderAsync(CancellationToken cancellationToken)
    {
        if (!_current.HasOlder)
        {
            output.WriteLine("  (no older messages)");
            return;
        }

        var page = await store.GetMessagesAsync(userId, _current.Session.Id, new ChatHistoryRequest { PageSize = PageSize, Cursor = _current.OlderCursor }, cancellationToken);
        _current.Messages.InsertRange(0, page.Messages);
        _current.OlderCursor = page.OlderCursor;
        _current.HasOlder = page.HasOlder;
        foreach (var m in page.Messages)
        {
            Print(m);
        }

        output.WriteLine(page.HasOlder ? "  (more: /older)" : "  (start of history)");
    }

    private async Task SearchAsync(string query, CancellationToken cancellationToken)
    {
        var hits = await store.SearchAsync(userId, new ChatSearchRequest(query) { PageSize = 10 }, cancellationToken);
        output.WriteLine(hits.Items.Count == 0 ? $"  no message matches \"{query}\"" : $"  {hits.Items.Count}{(hits.HasMore ? "+" : string.Empty)} match(es):");
        foreach (var hit in hits.Items)
        {
            output.WriteLine($"  #{hit.Message.Sequence} [{hit.WorkflowId}] {hit.Message.Role.ToStorageName()}: {Highlight(hit)}");
        }
    }

    private async Task FavoriteAsync(long sequence, bool favorite, CancellationToken cancellationToken)
    {
        var message = _cache.Values.SelectMany(v => v.Messages).FirstOrDefault(m => m.Sequence == sequence);
        if (message is null)
        {
            output.WriteLine($"! no message #{sequence} is shown; use the number printed before a message");
            return;
        }

        var updated = await store.SetFavoriteAsync(userId, message.Id, favorite, cancellationToken);
        foreach (var view in _cache.Values)
        {
            var index = view.Messages.FindIndex(m => m.Id == updated.Id);
            if (index >= 0)
            {
                view.Messages[index] = updated;
            }
        }

        output.WriteLine(favorite ? $"  ★ #{sequence} is a favourite" : $"  #{sequence} is no longer a favourite");
    }

    private async Task ExportAsync(string argument, CancellationToken cancellationToken)
    {
        var parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var kind = parts.Length == 2 ? parts[0].ToLowerInvariant() : string.Empty;
        ChatExportFormat? format = kind switch
        {
            "txt" => ChatExportFormat.Text,
            "md" => ChatExportFormat.Markdown,
            "json" => ChatExportFormat.Json,
            _ => null,
        };
        if (format is null && kind != "pdf")
        {
            output.WriteLine("! usage: /export <txt|md|json|pdf> <file>");
            return;
        }

        var path = Path.GetFullPath(parts[1]);
        var options = new ChatExportOptions { TimeZone = TimeZoneInfo.Local };
        FileStream file;
        try
        {
            file = File.Create(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // A missing folder, a folder, a read-only place: say so and keep the session going.
            var reason = ex switch
            {
                DirectoryNotFoundException => "the folder does not exist",
                UnauthorizedAccessException when Directory.Exists(path) => "that is a folder; give a file name",
                UnauthorizedAccessException => "permission denied",
                _ => FirstLine(ex.Message),
            };
            output.WriteLine($"! cannot write {path}: {reason} (nothing exported)");
            return;
        }

        await using (file)
        {
            var count = format is { } textual
                ? await store.ExportAsync(userId, _current.Session.Id, textual, file, options, cancellationToken)
                : await store.ExportPdfAsync(userId, _current.Session.Id, file, options, cancellationToken);
            output.WriteLine($"  exported {count} message(s) to {path}");
        }
    }

    private async Task ClearAsync(string argument, CancellationToken cancellationToken)
    {
        var confirmed = assumeYes || argument is "--yes" or "-y";
        if (!confirmed && !System.Console.IsInputRedirected)
        {
            output.Write($"  clear every message of workflow {_current.Session.WorkflowId}? [y/N] ");
            confirmed = await _lines.ReadLineAsync(cancellationToken) is ({ } answer, true) && answer.Trim().ToLowerInvariant() is "y" or "yes";
        }

        if (!confirmed)
        {
            output.WriteLine("  not cleared (confirm with /clear --yes, or start with --yes)");
            return;
        }

        var deleted = await store.ClearSessionAsync(userId, _current.Session.Id, cancellationToken);
        _current.Messages.Clear();
        _current.HasOlder = false;
        _current.OlderCursor = null;
        _current.NewerCursor = null;
        output.WriteLine($"  cleared {deleted} message(s) of workflow {_current.Session.WorkflowId}");
    }

    private void Help() => output.WriteLine("""
          Type a message to chat. Commands:
            /workflow <id>     switch workflow (each has its own persistent chat)
            /older             show the previous page of history
            /search <text>     search all your chats (accent-insensitive)
            /fav <n>, /unfav <n>  mark or unmark message #n as a favourite
            /favs              list favourites       /sessions   list your chats
            /rename <title>    rename this chat      /export <txt|md|json|pdf> <file>
            /clear [--yes]     delete this workflow's messages (asks first)
            /help, /quit
        """);

    private void Print(StoredChatMessage m) =>
        output.WriteLine($"  #{m.Sequence} {(m.Role == ChatMessageRole.User ? "you" : m.Role.ToStorageName())}: {m.Content}{(m.IsFavorite ? "  ★" : string.Empty)}");

    private static string Highlight(ChatSearchHit hit)
    {
        var builder = new StringBuilder();
        var at = 0;
        foreach (var span in hit.Highlights)
        {
            builder.Append(hit.Snippet, at, span.Start - at).Append('[').Append(hit.Snippet, span.Start, span.Length).Append(']');
            at = span.Start + span.Length;
        }

        return builder.Append(hit.Snippet, at, hit.Snippet.Length - at).ToString();
    }

    private static string FirstLine(string text) => text.Split('\n')[0];

    // What a person reads: the first line, without .NET's " (Parameter 'name')" suffix.
    private static string UserMessage(ArgumentException ex) =>
        FirstLine(ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message);

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}
