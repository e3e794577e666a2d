namespace ChatPersistence.Samples.Server.Api;

/// <summary>The body of <c>POST /api/workflows/{workflowId}/switch</c>.</summary>
/// <param name="MessageId">The message to show, or any version of it when <paramref name="Index"/> is given.</param>
/// <param name="Index">The 0-based version, among the versions of <paramref name="MessageId"/>, to show (omitted: that message).</param>
internal sealed record SwitchRequest(Guid? MessageId, int? Index);
