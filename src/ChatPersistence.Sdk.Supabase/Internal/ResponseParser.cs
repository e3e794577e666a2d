namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>Turns a successful answer's JSON (the whole body, UTF-8) into the operation's result.</summary>
/// <typeparam name="T">The result.</typeparam>
/// <param name="json">The body.</param>
/// <returns>The result.</returns>
internal delegate T ResponseParser<out T>(ReadOnlySpan<byte> json);
