namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>
/// The SQLite store computing bm25 itself for every search (as it does when a word of the query is in 10,000 messages or
/// more), so that the search suite runs through that path too.
/// </summary>
public sealed class SqliteComputedRankFixture : SqliteFixture
{
    public override bool IsPartialRun => true;

    internal override SqliteChatSessionStore Configure(SqliteChatSessionStore store)
    {
        store.SearchCountCap = 1;
        return store;
    }
}
