namespace ChatPersistence.Samples.Server.Chat;

/// <summary>A message's position among its versions, as frames and pages carry it: show "‹ index + 1 / count ›".</summary>
/// <param name="Id">The message.</param>
/// <param name="Index">Its 0-based index among its versions, oldest first.</param>
/// <param name="Count">How many versions there are (at least 2).</param>
public sealed record SiblingDto(Guid Id, int Index, int Count);
