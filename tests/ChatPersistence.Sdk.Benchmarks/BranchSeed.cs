using Npgsql;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Seeds a branched PostgreSQL session fast (schema 4), with raw inserts that follow the schema's run rules
/// (docs/design/conversation-tree-and-live-replies.md §1, §4.1): one branch point per <c>1,000</c> messages, laid out as a
/// chain of nested edits — the conversation runs for about 1,000 messages, then an edit of the message 11 back starts a new
/// run under that message's parent (the 10 messages after the fork are left on the old branch), and the conversation goes
/// on in the new run. The active path therefore runs through every run (1,001 runs for 1M messages), each run's route has
/// every earlier fork in it, and the first fork has every other run beneath it (the switch's worst case, §4.4).
/// </summary>
/// <remarks>
/// Messages are numbered g = 1..N in sequence order (contiguous sequence numbers). With B branch points and run length
/// L = N / (B + 1): run k (0..B) starts at g = kL + 1; the head of run k ≥ 1 has as parent g = kL − 10, whose implicit
/// child g = kL − 9 (and the 9 after it) stay on the old branch. The path is [kL + 1, (k + 1)L − 10] for k &lt; B and
/// [BL + 1, N]: N − 10B messages. Ids are the session's id with g as the last 12 hex digits, so the seed can name parents without reading them back.
/// Triggers are off while seeding (<c>session_replication_role = replica</c>, a superuser setting): the seed writes the
/// session's counters and tree columns itself, as the functions would.
/// </remarks>
public static class BranchSeed
{
    /// <summary>Messages between two branch points.</summary>
    public const int MessagesPerBranchPoint = 1_000;

    /// <summary>Messages left on the old branch at each fork (the edit is of the message this many + 1 back).</summary>
    public const int Tail = 10;

    /// <summary>The number of branch points for a session of <paramref name="messages"/> messages (at least one).</summary>
    public static int BranchPoints(int messages) => Math.Max(1, messages / MessagesPerBranchPoint);

    /// <summary>Seeds <paramref name="messages"/> messages with <see cref="BranchPoints"/> forks into an empty session.</summary>
    /// <param name="admin">A superuser data source.</param>
    /// <param name="userId">The session's owner.</param>
    /// <param name="sessionId">An existing, empty session.</param>
    /// <param name="messages">N.</param>
    /// <returns>What the benchmarks need to address the session.</returns>
    public static async Task<BranchedSession> SeedAsync(NpgsqlDataSource admin, Guid userId, Guid sessionId, int messages)
    {
        var forks = BranchPoints(messages);
        var run = messages / (forks + 1);
        await using var connection = await admin.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, "set local session_replication_role = replica");
        await ExecuteAsync(connection, """
            insert into public.chat_messages (id, session_id, user_id, role, content, metadata, created_at, parent_id)
            select (left($1::text, 24) || lpad(to_hex(g), 12, '0'))::uuid, $1, $2, case when g % 2 = 0 then 'user' else 'assistant' end,
                   'message number ' || g || ' about topic ' || (g % 97), '{}'::jsonb, now() - make_interval(secs => $3 - g),
                   case when g > 1 and (g - 1) % $5 = 0 and (g - 1) / $5 between 1 and $4 then (left($1::text, 24) || lpad(to_hex(g - 1 - $6), 12, '0'))::uuid end
              from generate_series(1, $3) g
            """, sessionId, userId, messages, forks, run, Tail);
        var first = await ScalarAsync<long>(connection, "select min(seq) from public.chat_messages where session_id = $1", sessionId);
        var last = await ScalarAsync<long>(connection, "select max(seq) from public.chat_messages where session_id = $1", sessionId);
        if (last - first != messages - 1)
        {
            throw new InvalidOperationException($"The seed's sequence numbers are not contiguous ({first}..{last} for {messages} messages).");
        }

        // Runs: k = 0..B; run k starts at seq first + kL; its head's parent is at first + kL - Tail - 1, in run k - 1 (parent_run);
        // its route above the head is every earlier run, left at the next run's parent.
        await ExecuteAsync(connection, """
            insert into chat_private.chat_runs (session_id, user_id, start_seq, head_id, parent_seq, parent_run, prefix_starts, prefix_ends, activated)
            select $1, $2, $3 + k * $5, (left($1::text, 24) || lpad(to_hex(k * $5 + 1), 12, '0'))::uuid,
                   case when k > 0 then $3 + k * $5 - $6 - 1 end, case when k > 0 then $3 + (k - 1) * $5 end,
                   array(select $3 + j * $5 from generate_series(0, k - 1) j order by j),
                   array(select $3 + (j + 1) * $5 - $6 - 1 from generate_series(0, k - 1) j order by j),
                   nextval('chat_private.chat_activation_seq')
              from generate_series(0, $4) k
            """, sessionId, userId, first, forks, run, Tail);
        await ExecuteAsync(connection, """
            update public.chat_sessions
               set message_count = $2, last_message_at = now(), updated_at = now(),
                   active_run = $3, leaf_id = $4, leaf_seq = $5, path_version = 1
             where id = $1
            """, sessionId, (long)messages, first + ((long)forks * run), MessageId(sessionId, messages), last);
        await transaction.CommitAsync();
        await ExecuteAsync(connection, "vacuum analyze public.chat_messages, public.chat_sessions, chat_private.chat_runs");
        return new BranchedSession(sessionId, messages, forks, run, first);
    }

    /// <summary>The id the seed gives message g (1-based, in sequence order) of a session.</summary>
    public static Guid MessageId(Guid sessionId, long g) =>
        Guid.Parse(sessionId.ToString()[..24] + g.ToString("x12", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Checks the seed through the store: reads the whole active path, newest first, in pages of <paramref name="pageSize"/>,
    /// and checks that it is exactly the expected messages, each one's parent the message before it on the path (the first
    /// a root), and that a fork's versions are its two children with the new one active. Returns the cursor of the page
    /// that starts in the middle of the path (for the deep-page benchmark).
    /// </summary>
    public static async Task<string> ValidateAsync(IChatSessionStore store, Guid userId, BranchedSession session, int pageSize = 500)
    {
        var user = userId.ToString();
        var path = new List<StoredChatMessage>(session.PathLength);
        string? cursor = null;
        string? middle = null;
        do
        {
            if (middle is null && cursor is not null && path.Count >= session.PathLength / 2)
            {
                middle = cursor;
            }

            var page = await store.GetMessagesAsync(user, session.SessionId, new ChatHistoryRequest { PageSize = pageSize, Cursor = cursor });
            path.AddRange(page.Messages.Reverse());
            cursor = page.HasOlder ? page.OlderCursor : null;
        }
        while (cursor is not null);
        path.Reverse();
        var expected = session.PathPositions().ToList();
        if (path.Count != expected.Count)
        {
            throw new InvalidOperationException($"The active path has {path.Count} messages; the seed expects {expected.Count}.");
        }

        for (var i = 0; i < path.Count; i++)
        {
            var id = MessageId(session.SessionId, expected[i]);
            var parent = i == 0 ? (Guid?)null : path[i - 1].Id;
            if (path[i].Id != id || path[i].Sequence != session.FirstSequence + expected[i] - 1 || path[i].ParentId != parent)
            {
                throw new InvalidOperationException(
                    $"Path position {i}: got {path[i].Id} (seq {path[i].Sequence}, parent {path[i].ParentId}); expected {id} (g {expected[i]}, parent {parent}).");
            }
        }

        var (oldVersion, newVersion) = session.Fork(session.BranchPoints);
        var siblings = await store.GetSiblingsAsync(user, newVersion);
        if (siblings.Versions.Count != 2 || siblings.Versions[0].Id != oldVersion || siblings.Versions[1].Id != newVersion
            || siblings.Index != 1 || siblings.ActiveIndex != 1)
        {
            throw new InvalidOperationException($"The last fork's versions are not [{oldVersion}, {newVersion}] with the second active.");
        }

        return middle ?? throw new InvalidOperationException("The path is too short for a middle page.");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 1_800 };
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }
}
