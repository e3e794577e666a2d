using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>Chooses the stored id of a <see cref="ChatMessage"/>.</summary>
internal static class MessageIds
{
    /// <summary>The message's GUID <see cref="ChatMessage.MessageId"/>, or a new version 7 GUID.</summary>
    public static Guid FromMessage(ChatMessage message) =>
        Guid.TryParse(message.MessageId, out var id) && id != Guid.Empty ? id : Guid.CreateVersion7();

    /// <summary>
    /// The id to store a message under in a session: its GUID <see cref="ChatMessage.MessageId"/>; a GUID derived from the session and
    /// a non-GUID message id (so the same provider message is stored once); or, when it has none, a new version 7 GUID that is also
    /// written to <see cref="ChatMessage.MessageId"/> so that a retry with the same message object reuses it.
    /// </summary>
    public static Guid ForSession(ChatMessage message, Guid sessionId)
    {
        if (string.IsNullOrEmpty(message.MessageId))
        {
            var generated = Guid.CreateVersion7();
            message.MessageId = generated.ToString("D");
            return generated;
        }

        if (Guid.TryParse(message.MessageId, out var id) && id != Guid.Empty)
        {
            return id;
        }

        return Derive(sessionId, message.MessageId);
    }

    /// <summary>A name-based GUID (version 8, SHA-256) of a session id and a string.</summary>
    public static Guid Derive(Guid sessionId, string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        _ = sessionId.TryWriteBytes(input, bigEndian: true, out _);
        nameBytes.CopyTo(input, 16);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
