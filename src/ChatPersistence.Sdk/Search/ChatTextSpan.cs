namespace ChatPersistence.Sdk;

/// <summary>A range of characters (UTF-16 code units) in a string.</summary>
/// <param name="Start">The index of the first character.</param>
/// <param name="Length">The number of characters.</param>
public readonly record struct ChatTextSpan(int Start, int Length);
