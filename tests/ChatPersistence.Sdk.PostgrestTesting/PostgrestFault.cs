namespace ChatPersistence.Sdk.PostgrestTesting;

/// <summary>A failure the test server injects into one upcoming request (see <see cref="PostgrestTestServer.InjectFault"/>).</summary>
public enum PostgrestFault
{
    /// <summary>Answer 503 (as PostgREST does when it cannot reach the database) without running anything.</summary>
    ServiceUnavailable,

    /// <summary>Answer 503 with <c>Retry-After: 1</c> without running anything.</summary>
    ServiceUnavailableWithRetryAfter,

    /// <summary>Run and commit the request, then drop the connection without answering.</summary>
    DropConnectionAfterCommit,

    /// <summary>Run and commit the request, then wait (longer than any client attempt timeout) before answering.</summary>
    HangAfterCommit,

    /// <summary>Answer 500 with SQLSTATE 40P01 (deadlock detected) without running anything: transient per PostgREST's table.</summary>
    Deadlock,

    /// <summary>Answer 500 with SQLSTATE XX000 (internal error) without running anything: not transient.</summary>
    InternalError,
}
