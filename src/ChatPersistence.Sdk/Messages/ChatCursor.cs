using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// Opaque, URL-safe keyset cursors. Layout (before base64url): version (1) | kind (1) | scope hash (8) | payload | check (8).
/// The scope hash binds a cursor to one listing (user + session / query), so a foreign cursor is rejected; the check
/// (a truncated SHA-256 over a fixed salt and the preceding bytes) rejects edited or truncated cursors. Cursors are not
/// secrets: a crafted cursor can only position a read inside the caller's own data, which authorization already limits.
/// </summary>
internal static class ChatCursor
{
    private const byte Version = 1;
    private const int HeaderLength = 10;
    private const int CheckLength = 8;
    private static readonly byte[] Salt = "ChatPersistence.Sdk/cursor/v1"u8.ToArray();

    internal enum Kind : byte
    {
        History = 1,
        Sessions = 2,
        Favorites = 3,
        Search = 4,
    }

    public static string Encode(Kind kind, ulong scope, ReadOnlySpan<byte> payload)
    {
        var length = HeaderLength + payload.Length + CheckLength;
        Span<byte> buffer = stackalloc byte[length];
        buffer[0] = Version;
        buffer[1] = (byte)kind;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[2..], scope);
        payload.CopyTo(buffer[HeaderLength..]);
        WriteCheck(buffer[..^CheckLength], buffer[^CheckLength..]);
        return Base64Url.EncodeToString(buffer);
    }

    /// <summary>Decodes a cursor and returns its payload, or throws <see cref="ArgumentException"/>.</summary>
    public static byte[] Decode(string cursor, Kind kind, ulong scope, int payloadLength, string paramName)
    {
        const string Hint = " Pass back a cursor exactly as a page of the same listing returned it.";
        var expected = HeaderLength + payloadLength + CheckLength;
        if (cursor.Length == 0 || cursor.Length > 128 || Base64Url.GetMaxDecodedLength(cursor.Length) < expected)
        {
            throw new ArgumentException("The cursor is malformed." + Hint, paramName);
        }

        // Base64Url.TryDecodeFromChars throws (rather than returning false) on characters outside the alphabet, and skips white space.
        if (!Base64Url.IsValid(cursor) || cursor.AsSpan().ContainsAny(" \t\r\n"))
        {
            throw new ArgumentException("The cursor is malformed." + Hint, paramName);
        }

        var buffer = new byte[Base64Url.GetMaxDecodedLength(cursor.Length)];
        if (!Base64Url.TryDecodeFromChars(cursor, buffer, out var written) || written != expected)
        {
            throw new ArgumentException("The cursor is malformed." + Hint, paramName);
        }

        var bytes = buffer.AsSpan(0, written);
        Span<byte> check = stackalloc byte[CheckLength];
        WriteCheck(bytes[..^CheckLength], check);
        if (!CryptographicOperations.FixedTimeEquals(check, bytes[^CheckLength..]) || bytes[0] != Version)
        {
            throw new ArgumentException("The cursor was modified or is not a cursor of this store." + Hint, paramName);
        }

        if (bytes[1] != (byte)kind || BinaryPrimitives.ReadUInt64LittleEndian(bytes[2..]) != scope)
        {
            throw new ArgumentException("The cursor belongs to another session, user or listing." + Hint, paramName);
        }

        return bytes.Slice(HeaderLength, payloadLength).ToArray();
    }

    /// <summary>Hashes the parts that identify a listing into a 64-bit scope.</summary>
    public static ulong Scope(params ReadOnlySpan<string?> parts)
    {
        var builder = new StringBuilder();
        foreach (var part in parts)
        {
            builder.Append(part?.Length ?? -1).Append(':').Append(part).Append('\u001f');
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString()), hash);
        return BinaryPrimitives.ReadUInt64LittleEndian(hash);
    }

    private static void WriteCheck(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[Salt.Length + data.Length];
        Salt.CopyTo(input);
        data.CopyTo(input[Salt.Length..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        hash[..CheckLength].CopyTo(destination);
    }
}
