namespace ChatPersistence.Sdk.PostgrestTesting;

/// <summary>A request as the test server received it, for tests that check exactly what a client sends.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path (e.g. <c>/rest/v1/rpc/chat_get_session</c>).</param>
/// <param name="Query">The query string, including the leading <c>?</c>, or empty.</param>
/// <param name="Headers">The headers, names lower-cased.</param>
/// <param name="Body">The body as text.</param>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body);
